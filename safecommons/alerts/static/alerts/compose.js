// The composer's map. "Circle": a click sets the centre in the latitude and longitude fields (the radius
// field sets its size). "Polygon": each click adds a corner; the polygon is kept closed in the hidden
// field as GeoJSON [lon, lat] points. Without JavaScript the typed circle and the named areas work alone.
(function () {
  "use strict";
  var element = document.getElementById("compose-map");
  var tools = document.getElementById("compose-tools");
  if (!element || !tools || typeof L === "undefined") { return; }
  var form = element.closest("form");
  var lat = form.querySelector("[name=circle_lat]");
  var lon = form.querySelector("[name=circle_lon]");
  var radius = form.querySelector("[name=circle_radius_m]");
  var polygonField = form.querySelector("[name=polygons]");
  var statusLine = document.getElementById("compose-map-status");
  var data = element.dataset;

  element.hidden = false;
  tools.hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (hint) { hint.hidden = false; });
  var map = L.map(element, { attributionControl: Boolean(data.tileUrl) });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { maxZoom: 19, attribution: data.tileAttribution || "" }).addTo(map);
  }
  var bounds = (data.bounds || "").split(",").map(Number);
  if (bounds.length === 4 && !bounds.some(isNaN)) {
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
  } else {
    map.setView([39.5, -98.35], 4);  // no areas yet: the whole country, zoom in to draw
  }
  // The agency's neighborhoods, outlined and named, so there is something to aim at without map tiles.
  if (data.areasUrl) {
    fetch(data.areasUrl, { credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        L.geoJSON(collection, {
          interactive: false,
          style: function () { return { color: "#5a6470", weight: 1, fillOpacity: 0.03 }; },
          onEachFeature: function (feature, featureLayer) {
            var label = document.createElement("span");  // text, never HTML
            label.textContent = feature.properties.name;
            featureLayer.bindTooltip(label, { permanent: true, direction: "center", className: "area-label" });
          }
        }).addTo(map);
      })
      .catch(function () { /* outlines are a help, not a need */ });
  }
  var mode = null;
  var circle = null;
  var corners = [];  // [lat, lon]
  var outline = null;

  function say(text) { statusLine.textContent = text; }

  function setMode(next) {
    mode = next;
    Array.prototype.forEach.call(tools.querySelectorAll("[data-mode]"), function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    });
    element.setAttribute("data-mode", mode || "");
  }

  function drawCircle() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value), r = parseFloat(radius.value);
    if (circle) { map.removeLayer(circle); circle = null; }
    if (isNaN(la) || isNaN(lo)) { return; }
    circle = L.circle([la, lo], { radius: isNaN(r) ? 500 : r, color: "#b3261e" }).addTo(map);
  }

  function writePolygon() {
    if (outline) { map.removeLayer(outline); outline = null; }
    if (!corners.length) { polygonField.value = ""; return; }
    outline = L.polygon(corners, { color: "#1f4e8c" }).addTo(map);
    if (corners.length < 3) { polygonField.value = ""; return; }
    var ring = corners.map(function (p) { return [Number(p[1].toFixed(6)), Number(p[0].toFixed(6))]; });
    ring.push(ring[0]);
    polygonField.value = JSON.stringify([ring]);
  }

  function readPolygon() {
    if (!polygonField.value) { return; }
    try {
      var rings = JSON.parse(polygonField.value);
      if (rings.length) { corners = rings[0].slice(0, -1).map(function (p) { return [p[1], p[0]]; }); }
    } catch (error) { corners = []; }
    writePolygon();
  }

  tools.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    if (button.hasAttribute("data-clear")) {
      corners = []; writePolygon();
      lat.value = ""; lon.value = ""; drawCircle();
      say("");
      return;
    }
    setMode(button.dataset.mode);
  });

  map.on("click", function (event) {
    if (mode === "circle") {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      if (!radius.value) { radius.value = "500"; }
      drawCircle();
      say(data.labelCircle);
    } else if (mode === "polygon") {
      corners.push([event.latlng.lat, event.latlng.lng]);
      writePolygon();
      say(String(corners.length) + " " + data.labelCorners);
    }
  });
  [lat, lon, radius].forEach(function (input) { input.addEventListener("input", drawCircle); });

  readPolygon();
  drawCircle();
  var shapes = L.featureGroup([circle, outline].filter(Boolean));
  if (shapes.getLayers().length) { map.fitBounds(shapes.getBounds(), { padding: [20, 20], maxZoom: 16 }); }
}());
