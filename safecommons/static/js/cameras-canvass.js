// Canvass maps. On the new-canvass page a click on the map fills in the latitude and longitude fields
// (which also work typed); on a canvass the incident and the cameras found are drawn: an exact camera
// as a marker with its field of view, an approximate one as a circle around its block. Only our own
// server is asked for anything.
(function () {
  "use strict";
  var element = document.getElementById("canvass-map");
  if (!element || typeof L === "undefined") { return; }
  element.hidden = false;
  var map = L.map(element, { attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  var EARTH_RADIUS_M = 6371008.8;

  // The point at `distance` metres along `bearing` degrees from (lat, lon), on the sphere.
  function destination(lat, lon, bearing, distance) {
    var phi = lat * Math.PI / 180, lambda = lon * Math.PI / 180, theta = bearing * Math.PI / 180;
    var delta = distance / EARTH_RADIUS_M;
    var phi2 = Math.asin(Math.sin(phi) * Math.cos(delta) + Math.cos(phi) * Math.sin(delta) * Math.cos(theta));
    var lambda2 = lambda + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(phi),
                                      Math.cos(delta) - Math.sin(phi) * Math.sin(phi2));
    return [phi2 * 180 / Math.PI, lambda2 * 180 / Math.PI];
  }

  function sector(camera) {
    if (camera.fov >= 360) { return L.circle([camera.lat, camera.lon], { radius: camera.range, weight: 1, fillOpacity: 0.1 }); }
    var points = [[camera.lat, camera.lon]];
    var steps = Math.max(4, Math.ceil(camera.fov / 10));
    for (var i = 0; i <= steps; i++) {
      var bearing = camera.bearing - camera.fov / 2 + camera.fov * i / steps;
      points.push(destination(camera.lat, camera.lon, bearing, camera.range));
    }
    return L.polygon(points, { weight: 1, fillOpacity: 0.1 });
  }

  var data = document.getElementById("canvass-data");
  if (data) {
    var canvass = JSON.parse(data.textContent);
    var incident = canvass.incident;
    var layers = [L.circleMarker([incident.lat, incident.lon], { radius: 6, color: "#b00020", fillOpacity: 0.9 })
      .bindTooltip(element.dataset.incidentLabel || "")];
    if (incident.radius > 0) {
      layers.push(L.circle([incident.lat, incident.lon], { radius: incident.radius, color: "#b00020", weight: 2, fillOpacity: 0.05 }));
    }
    var approximateRadius = parseFloat(element.dataset.approximateRadius) || 200;
    canvass.cameras.forEach(function (camera) {
      var label = "#" + camera.id + " (" + camera.rank + ")";
      if (camera.approximate) {
        layers.push(L.circle([camera.lat, camera.lon], { radius: approximateRadius, color: "#6b6b6b", weight: 1, dashArray: "4", fillOpacity: 0.05 })
          .bindTooltip(label));
      } else {
        layers.push(sector(camera));
        layers.push(L.marker([camera.lat, camera.lon], { title: label, alt: label }).bindTooltip(label));
      }
    });
    // A view first (Leaflet cannot draw a circle on a map that has none), then one that fits them all.
    map.setView([incident.lat, incident.lon], 17);
    var group = L.featureGroup(layers).addTo(map);
    map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 18 });
    return;
  }

  // The new-canvass form: the map picks the point.
  var form = element.closest("form");
  var lat = form.querySelector("[name=latitude]");
  var lon = form.querySelector("[name=longitude]");
  var radius = form.querySelector("[name=radius_m]");
  var marker = null, disc = null;

  function show() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (isNaN(la) || isNaN(lo)) { return; }
    var latlng = L.latLng(la, lo);
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    var r = parseFloat(radius.value) || 0;
    if (disc) { map.removeLayer(disc); disc = null; }
    if (r > 0) { disc = L.circle(latlng, { radius: r, weight: 1 }).addTo(map); }
  }

  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    show();
  });
  [lat, lon, radius].forEach(function (input) { input.addEventListener("change", show); });

  fetch(element.dataset.areasUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, { style: function () { return { color: "#0b5cad", weight: 1, fillOpacity: 0.03 }; } }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([0, 0], 2); }
      show();
      if (marker) { map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16)); }
    })
    .catch(function () { map.setView([0, 0], 2); show(); });
})();
