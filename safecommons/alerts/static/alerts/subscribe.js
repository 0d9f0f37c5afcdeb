// Subscribe and manage pages: pick the place on a map instead of typing an address, and fill in the
// browser's time zone. Only our own server is asked for anything (area outlines; no map tiles, which
// would tell a tile server where the subscriber lives). Without JavaScript the address box does the job.
(function () {
  "use strict";
  var form = document.getElementById("subscribe-form");
  if (!form) { return; }
  var zone = form.querySelector("[name=time_zone]");
  if (zone && form.dataset.guessZone && window.Intl && Intl.DateTimeFormat) {
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (browserZone && zone.defaultValue === zone.value) {
      zone.value = browserZone;
    }
  }
  var element = document.getElementById("subscribe-map");
  if (!element || typeof L === "undefined") { return; }
  element.hidden = false;
  var status = document.getElementById("subscribe-map-status");
  var map = L.map(element, { attributionControl: false });
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  var address = form.querySelector("[name=address]");
  var radius = form.querySelector("[name=radius_m]");
  var marker = null;
  var circle = null;

  function metres() { return parseInt(radius.value, 10) || 1000; }

  function place(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (address) { address.value = ""; }
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    if (circle) { circle.setLatLng(latlng).setRadius(metres()); } else {
      circle = L.circle(latlng, { radius: metres(), color: "#0b5cad", weight: 1, fillOpacity: 0.1 }).addTo(map);
    }
    if (status) { status.textContent = element.dataset.labelChosen; }
  }

  fetch(element.dataset.areasUrl, { credentials: "omit" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      var layer = L.geoJSON(collection, {
        style: function () { return { color: "#0b5cad", weight: 2, fillOpacity: 0.05 }; },
        onEachFeature: function (feature, featureLayer) {
          // A text node, never a string: Leaflet would read a string as HTML.
          var label = document.createElement("span");
          label.textContent = feature.properties.name;
          featureLayer.bindTooltip(label, { permanent: true, direction: "center", className: "area-label" });
        }
      }).addTo(map);
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([0, 0], 2); }
      if (lat.value && lon.value) { place(L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
    })
    .catch(function () { element.hidden = true; });

  map.on("click", function (event) { place(event.latlng); });
  radius.addEventListener("change", function () { if (circle) { circle.setRadius(metres()); } });
  if (address) {
    // Typing an address replaces a point clicked before.
    address.addEventListener("input", function () { lat.value = ""; lon.value = ""; });
  }
})();
