// The live board. The page arrives with the agency's incidents and the id of the last event it reflects;
// a websocket to our own server then brings every later event, and after a drop the board reconnects with
// the last event id it saw, so it misses nothing. New incidents flash and (if the dispatcher turned sound on)
// beep; the list stays sorted most urgent first. Every value is written as text, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("board");
  var dataElement = document.getElementById("board-data");
  if (!root || !dataElement || !window.WebSocket) { return; }
  var labels = root.dataset;
  var rows = document.getElementById("board-rows");
  var statusLine = document.getElementById("board-status");
  var soundButton = document.getElementById("board-sound");
  var incidents = {};
  var latest = {};
  var fresh = {};
  var lastEventId = parseInt(root.dataset.lastEventId, 10) || 0;
  var unseen = 0;
  var baseTitle = document.title;
  JSON.parse(dataElement.textContent).forEach(function (incident) { incidents[incident.id] = incident; });
  // Live messages carry the site's default language; the page shows its own labels for their codes.
  var labelsElement = document.getElementById("board-labels");
  var pageLabels = labelsElement ? JSON.parse(labelsElement.textContent) : {};
  function typeLabel(incident) { return (pageLabels.types || {})[incident.type] || incident.type_label; }
  function statusLabel(incident) { return (pageLabels.statuses || {})[incident.status] || incident.status_label; }
  function kindLabel(event) { return (pageLabels.kinds || {})[event.kind] || event.kind_label; }
  // "Withdrawn: Cleaning crew…": some events' text already starts with their kind's label; say it once.
  function latestLine(event) {
    var text = event.text || "", label = kindLabel(event);
    var saysItself = [label, event.kind_label].some(function (prefix) {
      return prefix && text.toLowerCase().indexOf(prefix.toLowerCase() + ":") === 0;
    });
    if (saysItself) { return text; }
    return label + (text ? ": " + text : "");
  }

  // --- status line and sound

  function setStatus(state) {
    statusLine.textContent = statusLine.dataset[state];
    statusLine.className = "board-status " + (state === "live" ? "live" : state === "retry" || state === "refused" ? "down" : "");
  }

  var audio = null;
  var soundOn = false;
  soundButton.hidden = false;
  soundButton.addEventListener("click", function () {
    soundOn = !soundOn;
    soundButton.setAttribute("aria-pressed", String(soundOn));
    soundButton.textContent = soundOn ? soundButton.dataset.on : soundButton.dataset.off;
    if (soundOn && !audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();  // made on a click, so browsers let it play
    }
  });

  function beep(times) {
    if (!soundOn || !audio) { return; }
    for (var i = 0; i < times; i++) {
      var start = audio.currentTime + i * 0.25;
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + 0.2);
      tone.connect(gain).connect(audio.destination);
      tone.start(start);
      tone.stop(start + 0.2);
    }
  }

  function markUnseen() {
    if (document.hasFocus()) { return; }
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
  }
  window.addEventListener("focus", function () { unseen = 0; document.title = baseTitle; });

  // --- map

  var map = null;
  var markers = {};
  var mapElement = document.getElementById("board-map");
  if (mapElement && typeof L !== "undefined") {
    mapElement.hidden = false;
    map = L.map(mapElement, { attributionControl: Boolean(mapElement.dataset.tileUrl) });
    if (mapElement.dataset.tileUrl) {
      L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 19, attribution: mapElement.dataset.tileAttribution || "" }).addTo(map);
    }
    map.setView([0, 0], 2);
    fetch(mapElement.dataset.areasUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        var areas = L.geoJSON(collection, { style: function () { return { color: "#0b5cad", weight: 1, fillOpacity: 0.04 }; } }).addTo(map);
        if (areas.getLayers().length) { map.fitBounds(areas.getBounds(), { padding: [10, 10] }); }
        drawMarkers(true);
      })
      .catch(function () { drawMarkers(true); });
  }

  function colour(incident) {
    if (incident.status === "closed") { return "#6b6b6b"; }
    return incident.priority >= 200 ? "#b3261e" : incident.priority >= 100 ? "#e07000" : "#0b5cad";
  }

  function drawMarkers(fit) {
    if (!map) { return; }
    var points = [];
    Object.keys(incidents).forEach(function (id) {
      var incident = incidents[id];
      if (incident.latitude === null || incident.longitude === null) { return; }
      var position = [incident.latitude, incident.longitude];
      points.push(position);
      var label = typeLabel(incident) + " — " + (incident.address || "") + " (" + statusLabel(incident) + ")";
      if (!markers[id]) {
        markers[id] = L.circleMarker(position, { radius: 9, weight: 2, fillOpacity: 0.8 }).addTo(map);
        markers[id].on("click", function () { window.location.href = incidents[id].url; });
      }
      markers[id].setLatLng(position);
      markers[id].setStyle({ color: colour(incident), fillColor: colour(incident) });
      markers[id].unbindTooltip().bindTooltip(document.createTextNode(label));  // a string would be HTML
    });
    if (fit && points.length) { map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 16 }); }
  }

  // --- list

  function tag(text, className) {
    var span = document.createElement("span");
    span.className = "tag" + (className ? " " + className : "");
    span.textContent = text;
    return span;
  }

  function cell(row, content) {
    var td = document.createElement("td");
    if (typeof content === "string") { td.textContent = content; } else if (content) { td.appendChild(content); }
    row.appendChild(td);
    return td;
  }

  function ordered() {
    return Object.keys(incidents).map(function (id) { return incidents[id]; }).sort(function (a, b) {
      var closedA = a.status === "closed" ? 1 : 0, closedB = b.status === "closed" ? 1 : 0;
      if (closedA !== closedB) { return closedA - closedB; }
      if (a.priority !== b.priority) { return b.priority - a.priority; }
      return (b.received_at || "").localeCompare(a.received_at || "");
    });
  }

  function render() {
    var list = ordered();
    rows.textContent = "";
    if (!list.length) {
      var empty = document.createElement("tr");
      empty.className = "empty";
      cell(empty, labels.labelEmpty).colSpan = 7;
      rows.appendChild(empty);
    }
    list.forEach(function (incident) {
      var row = document.createElement("tr");
      row.dataset.incident = incident.id;
      if (incident.status === "closed") { row.classList.add("closed"); }
      if (fresh[incident.id]) { row.classList.add(fresh[incident.id] === "new" ? "new" : "updated", "flash"); }
      var priority = cell(row, String(incident.priority));
      if (fresh[incident.id] === "new") { priority.append(" ", tag(labels.labelNew, "fresh")); }
      if (incident.persons_at_risk) { priority.append(" ", tag(labels.labelPersons, "urgent")); }
      if (incident.weapons) { priority.append(" ", tag(labels.labelWeapons, "urgent")); }
      if (incident.verified) { priority.append(" ", tag(labels.labelVerified)); }
      var link = document.createElement("a");
      link.href = incident.url;
      link.textContent = typeLabel(incident);
      var what = cell(row, link);
      var counts = [];
      if (incident.suspect_count) {
        counts.push(incident.suspect_count + " " + (incident.suspect_count === 1 ? labels.labelSuspect : labels.labelSuspects));
      }
      if (incident.vehicle_count) {
        counts.push(incident.vehicle_count + " " + (incident.vehicle_count === 1 ? labels.labelVehicle : labels.labelVehicles));
      }
      if (incident.alarm_count > 1) { counts.push(incident.alarm_count + " " + labels.labelAlarms); }
      if (counts.length) { what.append(" · " + counts.join(", ")); }
      cell(row, incident.address || "");
      cell(row, incident.company || "");
      cell(row, statusLabel(incident) + (incident.assigned_unit ? " · " + incident.assigned_unit : ""));
      var update = latest[incident.id];
      cell(row, update ? latestLine(update) : "");
      var time = document.createElement("time");
      time.dateTime = incident.received_at || "";
      time.textContent = incident.received_at ? window.siteClock(incident.received_at, { hour: "2-digit", minute: "2-digit" }) : "";
      cell(row, time);
      rows.appendChild(row);
    });
  }

  function apply(message) {
    var incident = message.incident;
    var isNew = !incidents[incident.id];
    incidents[incident.id] = incident;
    latest[incident.id] = message.event;
    fresh[incident.id] = isNew ? "new" : (fresh[incident.id] === "new" ? "new" : "updated");
    setTimeout(function () {
      if (fresh[incident.id] !== "new") { delete fresh[incident.id]; }
    }, 6000);
    render();
    drawMarkers(isNew && Object.keys(incidents).length === 1);
    markUnseen();
    beep(isNew ? (incident.priority >= 200 ? 3 : 2) : 0);
  }

  // --- the live connection

  // A refused handshake (signed out, second factor lapsed) reaches us as a plain close: after a few attempts
  // that never opened, stop and say so. A watch revoked while open closes with 4403.
  var delay = 1000, failures = 0, MAX_FAILURES = 5, reloading = false;
  function connect() {
    setStatus("connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/incidents/?last_event_id=" + lastEventId);
    socket.onopen = function () { delay = 1000; failures = -1; setStatus("live"); };
    socket.onmessage = function (frame) {
      var message = JSON.parse(frame.data);
      if (message.type === "reload") { reloading = true; setStatus("reload"); window.location.reload(); return; }
      if (message.type !== "incident.event") { return; }
      if (message.event.id <= lastEventId) { return; }
      lastEventId = message.event.id;
      apply(message);
    };
    socket.onclose = function (event) {
      if (event.code === 4409 && reloading) { return; }  // told to reload
      failures += 1;
      if (event.code === 4403 || failures >= MAX_FAILURES) { setStatus("refused"); return; }
      setStatus("retry");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  // A new incident keeps its "New" mark until someone opens or focuses the board after it came.
  rows.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-incident]");
    if (row) { delete fresh[row.dataset.incident]; }
  });
  render();
  connect();
})();
