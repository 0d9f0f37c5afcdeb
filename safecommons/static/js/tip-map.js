// Pick the place of a tip on a map. Only our own server is asked for anything; without JavaScript
// the address box does the same job.
(function () {
  "use strict";
  var element = document.getElementById("tip-map");
  if (!element || typeof L === "undefined") { return; }
  element.hidden = false;
  var map = L.map(element, { attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  var form = element.closest("form");
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  var marker = null;

  function place(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    var choice = form.querySelector("[name=location_kind][value=map]");
    if (choice) { choice.checked = true; }
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
  }

  fetch(element.dataset.areasUrl, { credentials: "omit" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        style: function () { return { color: "#0b5cad", weight: 2, fillOpacity: 0.05 }; },
        onEachFeature: function (feature, featureLayer) {
          featureLayer.bindTooltip(feature.properties.name, { permanent: true, direction: "center", className: "area-label" });
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([0, 0], 2); }
      if (lat.value && lon.value) { place(L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
    })
    .catch(function () { element.hidden = true; });

  map.on("click", function (event) { place(event.latlng); });
})();
