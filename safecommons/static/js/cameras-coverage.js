// The public coverage map: hexagons from our own API, shaded by how many cameras each holds. The table
// on the page carries the same numbers for those who do not use the map.
(function () {
  "use strict";
  var element = document.getElementById("coverage-map");
  if (!element || typeof L === "undefined") { return; }
  var map = L.map(element, { zoomControl: true, attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 18, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  map.setView([0, 0], 2);

  // Neighborhood outlines from our own API, so that the hexagons have a place to stand in.
  if (element.dataset.areasUrl) {
    fetch(element.dataset.areasUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (areas) {
        L.geoJSON(areas, {
          style: function () { return { color: "#6b6b6b", weight: 1, fillOpacity: 0, interactive: false }; },
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(document.createTextNode(feature.properties.name), { permanent: true, direction: "center", className: "area-label" });
          }
        }).addTo(map).bringToBack();
      })
      .catch(function () { /* the hexagons stand on their own */ });
  }

  fetch(element.dataset.url, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var highest = collection.features.reduce(function (most, feature) {
        return Math.max(most, feature.properties.count);
      }, 1);
      var layer = L.geoJSON(collection, {
        style: function (feature) {
          // Square root, so that a few dense blocks do not wash out the rest.
          var share = Math.sqrt(feature.properties.count / highest);
          return { color: "#084684", weight: 1, fillColor: "#0b5cad", fillOpacity: 0.15 + 0.6 * share };
        },
        onEachFeature: function (feature, featureLayer) {
          featureLayer.bindTooltip(String(feature.properties.count));
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
    })
    .catch(function () { element.setAttribute("data-error", "coverage could not be loaded"); });
})();
