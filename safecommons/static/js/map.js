// The neighborhood map: outlines from our own API, an optional tile layer the operator configured,
// and a click that looks the point up. Without JavaScript the address form still works.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") { return; }
  var map = L.map(element, { zoomControl: true, attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  var form = document.getElementById("lookup-form");
  var located = element.dataset.lat && element.dataset.lon ? [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)] : null;

  fetch(element.dataset.areasUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        style: function () { return { color: "#0b5cad", weight: 2, fillColor: "#0b5cad", fillOpacity: 0.08 }; },
        onEachFeature: function (feature, featureLayer) {
          featureLayer.bindTooltip(feature.properties.name, { permanent: true, direction: "center", className: "area-label" });
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
      else { map.setView([0, 0], 2); }
      if (located) { L.marker(located, { title: "" }).addTo(map); map.setView(located, Math.max(map.getZoom(), 14)); }
    })
    .catch(function () { element.setAttribute("data-error", "areas could not be loaded"); });

  map.on("click", function (event) {
    form.querySelector("[name=lat]").value = event.latlng.lat.toFixed(6);
    form.querySelector("[name=lon]").value = event.latlng.lng.toFixed(6);
    form.querySelector("[name=address]").value = "";
    form.submit();
  });
})();
