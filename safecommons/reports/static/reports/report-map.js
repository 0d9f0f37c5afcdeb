// The report form's map: a click picks the place (hidden lat/lon fields) and marks it. The address field
// works without JavaScript; a picked point wins over it when both are given.
(function () {
  "use strict";
  var element = document.getElementById("report-map");
  var form = document.getElementById("report-form");
  if (!element || !form || typeof L === "undefined") { return; }
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  var picked = document.getElementById("picked-point");
  var map = L.map(element, { zoomControl: true, attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  var marker = null;

  function mark(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { title: "" }).addTo(map); }
  }

  fetch(element.dataset.areasUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        style: function () { return { color: "#0b5cad", weight: 2, fillColor: "#0b5cad", fillOpacity: 0.05 }; }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      else { map.setView([0, 0], 2); }
      if (lat.value && lon.value) {
        var point = [parseFloat(lat.value), parseFloat(lon.value)];
        mark(point);
        map.setView(point, Math.max(map.getZoom(), 15));
      }
    })
    .catch(function () { element.setAttribute("data-error", "areas could not be loaded"); });

  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    mark(event.latlng);
    if (picked) { picked.textContent = element.dataset.pickedText + " " + lat.value + ", " + lon.value; }
  });
})();
