// The alert maps (the current alerts, one alert's page): each alert's polygons and circles, drawn from the
// page's own data; no outside host but the operator's tile server, if one is set. The page says the same
// in words, so the map is only a picture of it.
(function () {
  "use strict";
  var element = document.getElementById("alerts-map");
  var source = document.getElementById("alerts-map-data");
  if (!element || !source || typeof L === "undefined") { return; }
  var alerts = JSON.parse(source.textContent);
  var colours = { Extreme: "#7a0d0d", Severe: "#b3261e", Moderate: "#b86e00", Minor: "#2e6b3a" };
  element.hidden = false;
  var map = L.map(element, { attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  var group = L.featureGroup().addTo(map);
  // Leaflet reads a string tooltip as HTML: a headline or an area name is given as text in an element of
  // its own (one per shape, since an element lives in one place only), never as markup.
  function label(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  alerts.forEach(function (alert) {
    var style = { color: colours[alert.severity] || "#1f4e8c", weight: 2, fillOpacity: 0.2 };
    alert.polygons.forEach(function (ring) { L.polygon(ring, style).bindTooltip(label(alert.label)).addTo(group); });
    alert.circles.forEach(function (c) {
      L.circle([c.lat, c.lon], Object.assign({ radius: c.radius_m }, style)).bindTooltip(label(alert.label)).addTo(group);
    });
  });
  map.setView([0, 0], 2);
  if (group.getLayers().length) { map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 16 }); }
  element.setAttribute("data-shapes", String(group.getLayers().length));
}());
