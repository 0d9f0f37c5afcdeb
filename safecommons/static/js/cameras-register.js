// Camera registry maps. On "My cameras": each camera and the sector it sees. On the register/edit form:
// a click places the camera and the sector follows the direction, field of view and range inputs.
// Without JavaScript the table and the number inputs do the same work.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  var EARTH_RADIUS_M = 6371008.8;
  var STATUS_COLOURS = { active: "#0b5cad", paused: "#7a4d00", withdrawn: "#4a5360" };

  function radians(degrees) { return degrees * Math.PI / 180; }
  function degrees(radiansValue) { return radiansValue * 180 / Math.PI; }

  // The point `distance` metres from (lat, lon) along `bearing` on a sphere (the server's model too).
  function destination(lat, lon, bearing, distance) {
    var angular = distance / EARTH_RADIUS_M, theta = radians(bearing);
    var phi1 = radians(lat), lambda1 = radians(lon);
    var phi2 = Math.asin(Math.sin(phi1) * Math.cos(angular) + Math.cos(phi1) * Math.sin(angular) * Math.cos(theta));
    var lambda2 = lambda1 + Math.atan2(Math.sin(theta) * Math.sin(angular) * Math.cos(phi1),
                                       Math.cos(angular) - Math.sin(phi1) * Math.sin(phi2));
    return [degrees(phi2), ((degrees(lambda2) + 540) % 360) - 180];
  }

  // The sector a camera sees: apex at the camera, arc at its range; a full circle for 360 degrees.
  function sector(lat, lon, bearing, fov, range) {
    var points = [], steps, start, step, i;
    if (fov >= 360) {
      for (i = 0; i < 72; i++) { points.push(destination(lat, lon, i * 5, range)); }
      return points;
    }
    steps = Math.max(2, Math.ceil(fov / 5));
    start = bearing - fov / 2;
    step = fov / steps;
    points.push([lat, lon]);
    for (i = 0; i <= steps; i++) { points.push(destination(lat, lon, start + i * step, range)); }
    points.push([lat, lon]);
    return points;
  }

  function baseMap(element) {
    var map = L.map(element, { zoomControl: true, attributionControl: Boolean(element.dataset.tileUrl) });
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
    }
    return map;
  }

  function listMap(element) {
    var data = document.getElementById("camera-points");
    var cameras = data ? JSON.parse(data.textContent) : [];
    var map = baseMap(element), group = L.featureGroup().addTo(map);
    cameras.forEach(function (camera) {
      var colour = STATUS_COLOURS[camera.status] || STATUS_COLOURS.active;
      L.polygon(sector(camera.lat, camera.lon, camera.bearing, camera.fov, camera.range),
                { color: colour, weight: 1, fillOpacity: 0.25 }).addTo(group);
      L.circleMarker([camera.lat, camera.lon], { radius: 5, color: colour, fillOpacity: 1 })
        .bindTooltip(document.createTextNode(camera.name)).on("click", function () { window.location.href = camera.url; }).addTo(group);
    });
    if (cameras.length) { map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 18 }); }
    else { map.setView([0, 0], 2); }
  }

  function formMap(element) {
    var form = element.closest("form");
    var input = function (name) { return form.querySelector("[name=" + name + "]"); };
    var number = function (name) { var value = parseFloat(input(name).value); return isNaN(value) ? null : value; };
    var map = baseMap(element), marker = null, shape = null;

    function draw(recentre) {
      var lat = number("latitude"), lon = number("longitude");
      if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) { return; }
      var bearing = number("bearing_deg") || 0, fov = number("fov_deg") || 90, range = number("range_m") || 30;
      fov = Math.min(Math.max(fov, 1), 360);
      range = Math.min(Math.max(range, 1), 1000);
      if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.circleMarker([lat, lon], { radius: 6, fillOpacity: 1 }).addTo(map); }
      var points = sector(lat, lon, bearing, fov, range);
      if (shape) { shape.setLatLngs(points); } else { shape = L.polygon(points, { weight: 1, fillOpacity: 0.3 }).addTo(map); }
      if (recentre) { map.fitBounds(shape.getBounds(), { padding: [30, 30], maxZoom: 19 }); }
    }

    map.setView([0, 0], 2);
    if (element.dataset.areasUrl) {
      fetch(element.dataset.areasUrl, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (collection) {
          var layer = L.geoJSON(collection, { style: function () { return { color: "#4a5360", weight: 1, fillOpacity: 0.04 }; } }).addTo(map);
          if (!marker && layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
        })
        .catch(function () { element.setAttribute("data-error", "areas could not be loaded"); });
    }
    map.on("click", function (event) {
      input("latitude").value = event.latlng.lat.toFixed(6);
      input("longitude").value = event.latlng.lng.toFixed(6);
      draw(false);
    });
    ["latitude", "longitude", "bearing_deg", "fov_deg", "range_m"].forEach(function (name) {
      input(name).addEventListener("input", function () { draw(name === "latitude" || name === "longitude"); });
    });
    draw(true);
  }

  var list = document.getElementById("camera-map");
  if (list) { listMap(list); }
  var picker = document.getElementById("camera-form-map");
  if (picker) { formMap(picker); }
})();
