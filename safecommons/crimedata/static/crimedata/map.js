// The public crime map. Everything comes from our own API with the filters of the page's form (the page
// reloads when the form is sent, so the tables below and the map always show the same thing): hexagon
// counts when zoomed out, the generalised points when zoomed in, and each neighborhood's counts of the
// offenses shown only per area on its outline. No tiles, no outside host. Every value is written as text.
(function () {
  "use strict";
  var element = document.getElementById("crime-map");
  if (!element || typeof L === "undefined") { return; }
  var data = element.dataset;
  var POINT_ZOOM = Number(data.pointZoom) || 15;  // the page's explanation is written from the same numbers
  var chosenArea = data.area ? Number(data.area) : null;
  var statusLine = document.getElementById("crime-map-status");
  element.hidden = false;
  var map = L.map(element, { attributionControl: false, minZoom: Number(data.minZoom) || 8, maxZoom: 18 });
  map.setView([0, 0], 2);

  var outlines = null;
  var chosen = null;  // the outline of the neighborhood the filter names
  var counted = L.layerGroup().addTo(map);
  var request = 0;

  function url(base, extra) {
    var query = data.query || "";
    return base + "?" + query + (query && extra ? "&" : "") + (extra || "");
  }

  function getJSON(address) {
    return fetch(address, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  function shown(count, kind) {
    element.setAttribute("data-shown", String(count));
    element.setAttribute("data-kind", kind);
  }

  function line(parent, text) {
    var item = document.createElement("li");
    item.textContent = text;
    parent.appendChild(item);
  }

  // --- Hexagons (zoomed out)

  function drawHexes(collection) {
    var highest = collection.features.reduce(function (most, f) { return Math.max(most, f.properties.count); }, 1);
    var total = 0;
    var layer = L.geoJSON(collection, {
      style: function (feature) {
        var share = Math.sqrt(feature.properties.count / highest);  // a few busy cells do not wash out the rest
        return { color: "#7a1f1f", weight: 1, fillColor: "#b03030", fillOpacity: 0.12 + 0.6 * share };
      },
      onEachFeature: function (feature, featureLayer) {
        total += feature.properties.count;
        featureLayer.bindTooltip(String(feature.properties.count) + " " + data.labelOffenses);
      }
    });
    counted.clearLayers();
    counted.addLayer(layer);
    shown(collection.features.length, "hexes");
    say(total + " " + data.labelOffenses + ". " + data.labelMore);
    return layer;
  }

  // --- Points (zoomed in): offenses at the same block centre share one marker

  function drawPoints(collection) {
    var spots = {};
    collection.features.forEach(function (feature) {
      if (!feature.geometry) { return; }
      var c = feature.geometry.coordinates;
      var key = c[1] + "," + c[0];
      (spots[key] = spots[key] || { latlng: [c[1], c[0]], items: [] }).items.push(feature.properties);
    });
    counted.clearLayers();
    var markers = 0;
    Object.keys(spots).forEach(function (key) {
      var spot = spots[key];
      var marker = L.circleMarker(spot.latlng, {
        radius: Math.min(6 + 2 * Math.sqrt(spot.items.length), 18), color: "#5c1010", weight: 1,
        fillColor: "#c0392b", fillOpacity: 0.8
      });
      var box = document.createElement("div");
      box.className = "crime-popup";
      var title = document.createElement("strong");
      title.textContent = spot.items[0].block || (spot.items.length + " " + data.labelOffenses);
      box.appendChild(title);
      var list = document.createElement("ul");
      spot.items.forEach(function (p) {
        var hour = p.hour === null ? "" : " " + (p.hour < 10 ? "0" : "") + p.hour + ":00";
        line(list, p.date + hour + " · " + p.offense);
      });
      box.appendChild(list);
      marker.bindPopup(box);
      counted.addLayer(marker);
      markers += 1;
    });
    shown(markers, "points");
    say(collection.total + " " + data.labelOffenses);
  }

  function refresh() {
    var mine = ++request;
    var zoom = map.getZoom();
    if (zoom >= POINT_ZOOM) {
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(5); });
      return getJSON(url(data.pointsUrl, "bbox=" + bbox.join(","))).then(function (collection) {
        if (mine === request) { drawPoints(collection); }
      });
    }
    return getJSON(url(data.hexesUrl, "zoom=" + zoom)).then(function (collection) {
      if (mine === request) { return drawHexes(collection); }
    });
  }

  // --- Neighborhood outlines, each labelled with its name, with the monthly counts of the offenses shown
  // only per area; the neighborhood the filter names is drawn stronger and framed.

  function countsText(area) {
    return area.counts.map(function (c) { return c.offense + ", " + c.month + ": " + c.text; });
  }

  function drawOutlines(collection, counts) {
    var byArea = {};
    (counts ? counts.areas : []).forEach(function (area) { byArea[area.area_id] = area; });
    outlines = L.geoJSON(collection, {
      style: function (feature) {
        if (feature.properties.id === chosenArea) {
          return { color: "#1f4e8c", weight: 3.5, fillColor: "#1f4e8c", fillOpacity: 0.06, dashArray: null };
        }
        return { color: "#4a5360", weight: 1.5, fillOpacity: 0, dashArray: "4 3" };
      },
      onEachFeature: function (feature, layer) {
        var label = document.createElement("span");  // a node, so the name is only ever text
        label.textContent = feature.properties.name;
        layer.bindTooltip(label, {
          permanent: true, direction: "center", interactive: false,
          className: "crime-area-label" + (feature.properties.id === chosenArea ? " crime-area-chosen" : "")
        });
        if (feature.properties.id === chosenArea) { chosen = layer; }
        var box = document.createElement("div");
        box.className = "crime-popup";
        var title = document.createElement("strong");
        title.textContent = feature.properties.name;
        box.appendChild(title);
        var area = byArea[feature.properties.id];
        if (area && area.counts.length) {
          var list = document.createElement("ul");
          countsText(area).forEach(function (text) { line(list, text); });
          box.appendChild(list);
        }
        layer.bindPopup(box);
      }
    }).addTo(map);
    outlines.bringToBack();
    return outlines;
  }

  Promise.all([
    getJSON(data.outlinesUrl).catch(function () { return { type: "FeatureCollection", features: [] }; }),
    getJSON(url(data.areasUrl)).catch(function () { return null; })
  ]).then(function (results) {
    var layer = drawOutlines(results[0], results[1]);
    if (layer.getLayers().length) {
      map.fitBounds((chosen || layer).getBounds(), { padding: [10, 10] });
      if (chosen) { element.setAttribute("data-framed", String(chosenArea)); }
      map.on("moveend", refresh);
      return refresh();
    }
    // No neighborhoods: frame the hexagons at a city's zoom.
    map.setView([0, 0], 11);
    return getJSON(url(data.hexesUrl, "zoom=11")).then(function (collection) {
      var hexes = drawHexes(collection);
      if (hexes.getLayers().length) { map.fitBounds(hexes.getBounds(), { padding: [10, 10] }); }
      map.on("moveend", refresh);
    });
  }).catch(function () { element.setAttribute("data-error", "the map could not be loaded"); });
})();
