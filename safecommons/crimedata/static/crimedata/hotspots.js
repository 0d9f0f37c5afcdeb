// The hotspot map: the agency's neighborhood outlines and the grid's cells, coloured by kind (hot red, cold
// blue, the rest grey by count). No tiles: nothing is fetched from anywhere. Values are written as text.
(function () {
  "use strict";
  var element = document.getElementById("hotspot-map");
  var dataElement = document.getElementById("hotspot-data");
  if (!element || !dataElement || typeof L === "undefined") { return; }
  var data = JSON.parse(dataElement.textContent);
  element.hidden = false;
  var map = L.map(element, { attributionControl: false });
  map.setView([0, 0], 2);
  var outlines = L.geoJSON(data.areas, {
    style: function () { return { color: "#0b5cad", weight: 1.5, fill: false }; },
    onEachFeature: function (feature, layer) { layer.bindTooltip(String(feature.properties.name || "")); }
  }).addTo(map);
  var highest = 1;
  data.cells.features.forEach(function (f) { highest = Math.max(highest, f.properties.count); });
  function style(feature) {
    var p = feature.properties;
    if (p.kind === "hot") { return { color: "#8b1a14", weight: 1, fillColor: "#d7301f", fillOpacity: 0.75 }; }
    if (p.kind === "cold") { return { color: "#08306b", weight: 1, fillColor: "#4292c6", fillOpacity: 0.7 }; }
    return { color: "#9aa3ad", weight: 0.5, fillColor: "#6b7480", fillOpacity: 0.08 + 0.35 * p.count / highest };
  }
  var cells = L.geoJSON(data.cells, {
    style: style,
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      var kind = p.kind === "hot" ? element.dataset.labelHot : p.kind === "cold" ? element.dataset.labelCold : "";
      var text = element.dataset.labelCount + ": " + p.count + " · z = " + Number(p.z).toFixed(2) + (kind ? " · " + kind : "");
      layer.bindTooltip(text);
    }
  }).addTo(map);
  var bounds = outlines.getLayers().length ? outlines.getBounds() : cells.getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
})();
