// The handoff form: a click on the map fills in the latitude and longitude, a client site's marker picks that
// site, and "Add another" buttons add suspect and vehicle rows. Without JavaScript the form works as it is:
// the number fields and one empty row of each stay.
(function () {
  "use strict";

  function addRows(container) {
    var total = container.querySelector("input[name$='-TOTAL_FORMS']");
    var max = container.querySelector("input[name$='-MAX_NUM_FORMS']");
    var rows = container.querySelector("[data-rows]");
    var template = container.querySelector("template[data-empty-row]");
    var button = container.querySelector("[data-add-row]");
    if (!total || !rows || !template || !button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      if (max && index >= parseInt(max.value, 10)) { button.disabled = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("ol");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      var first = row.querySelector("input, select, textarea");
      if (first) { first.focus(); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-formset]"), addRows);

  var element = document.getElementById("incident-open-map");
  if (!element || typeof L === "undefined") { return; }
  var form = element.closest("form");
  var latitude = form.querySelector("[name=latitude]");
  var longitude = form.querySelector("[name=longitude]");
  var siteSelect = form.querySelector("[name=site]");
  var data = document.getElementById("incident-sites");
  var sites = data ? JSON.parse(data.textContent) : [];

  element.hidden = false;
  var map = L.map(element, { zoomControl: true, attributionControl: Boolean(element.dataset.tileUrl) });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.tileAttribution || "" }).addTo(map);
  }
  var group = L.featureGroup().addTo(map);
  var marker = null;

  function place(lat, lon) {
    if (marker) { marker.setLatLng([lat, lon]); }
    else { marker = L.circleMarker([lat, lon], { radius: 8, color: "#b3261e", fillOpacity: 0.9 }).addTo(map); }
  }

  function fromInputs() {
    var lat = parseFloat(latitude.value), lon = parseFloat(longitude.value);
    if (isNaN(lat) || isNaN(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) { return null; }
    return [lat, lon];
  }

  sites.forEach(function (site) {
    L.circleMarker([site.lat, site.lon], { radius: 6, color: "#0b5cad", fillOpacity: 0.6 })
      .bindTooltip(document.createTextNode(site.name))
      .on("click", function (event) {
        L.DomEvent.stopPropagation(event);
        if (siteSelect) { siteSelect.value = String(site.id); }
        latitude.value = site.lat.toFixed(6);
        longitude.value = site.lon.toFixed(6);
        place(site.lat, site.lon);
      })
      .addTo(group);
  });

  map.setView([0, 0], 2);
  if (group.getLayers().length) { map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 16 }); }
  if (element.dataset.areasUrl) {
    fetch(element.dataset.areasUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        var layer = L.geoJSON(collection, { style: function () { return { color: "#4a5360", weight: 1, fillOpacity: 0.04 }; } }).addTo(map);
        if (!marker && !group.getLayers().length && layer.getLayers().length) { map.fitBounds(layer.getBounds()); }
      })
      .catch(function () { element.setAttribute("data-error", "areas could not be loaded"); });
  }

  map.on("click", function (event) {
    latitude.value = event.latlng.lat.toFixed(6);
    longitude.value = event.latlng.lng.toFixed(6);
    place(event.latlng.lat, event.latlng.lng);
  });
  [latitude, longitude].forEach(function (input) {
    input.addEventListener("input", function () {
      var point = fromInputs();
      if (point) { place(point[0], point[1]); map.setView(point, Math.max(map.getZoom(), 15)); }
    });
  });
  var initial = fromInputs();
  if (initial) { place(initial[0], initial[1]); map.setView(initial, 16); }
})();
