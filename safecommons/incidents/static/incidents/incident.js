// An incident's page, live: the small map of the point and the movement reported since, and the timeline,
// which receives new entries over the incident's websocket without a reload. The page says which entry it
// was rendered up to (data-last-event-id); the socket replays everything after the highest entry seen, so
// after a dropped connection nothing is missed and nothing is shown twice. Without JavaScript the page is
// complete as rendered; a reload brings it up to date.
(function () {
  "use strict";
  var MAX_BACKOFF_SECONDS = 15;
  var PING_SECONDS = 25;
  var CLOSE_REFUSED = 4403;

  // --- The map: the incident's point and the path of the movement pings.
  var map = null, path = null, head = null;
  var mapElement = document.getElementById("incident-map");
  var mapData = document.getElementById("incident-map-data");
  if (mapElement && mapData && typeof L !== "undefined") {
    var data = JSON.parse(mapData.textContent);
    var points = data.path && data.path.length ? data.path : (data.point ? [data.point] : []);
    if (points.length) {
      mapElement.hidden = false;
      map = L.map(mapElement, { zoomControl: true, attributionControl: Boolean(mapElement.dataset.tileUrl) });
      if (mapElement.dataset.tileUrl) {
        L.tileLayer(mapElement.dataset.tileUrl, { maxZoom: 19, attribution: mapElement.dataset.tileAttribution || "" }).addTo(map);
      }
      if (data.point) { L.circleMarker(data.point, { radius: 8, color: "#b3261e", fillOpacity: 0.9 }).addTo(map); }
      path = L.polyline(points, { color: "#0b5cad", weight: 3 }).addTo(map);
      head = L.circleMarker(points[points.length - 1], { radius: 5, color: "#0b5cad", fillOpacity: 1 }).addTo(map);
      fitMap();
    }
  }

  function fitMap() {
    var bounds = path.getBounds();
    if (bounds.getNorthEast().equals(bounds.getSouthWest())) { map.setView(bounds.getCenter(), 17); }
    else { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 18 }); }
  }

  function extendPath(movement) {
    if (!map || !movement || typeof movement.latitude !== "number") { return; }
    var point = [movement.latitude, movement.longitude];
    path.addLatLng(point);
    head.setLatLng(point);
    fitMap();
  }

  // --- The timeline.
  var timeline = document.getElementById("timeline");
  if (!timeline || typeof WebSocket === "undefined") { return; }
  var incidentId = timeline.dataset.incidentId;
  var lastSeq = parseInt(timeline.dataset.lastEventId, 10) || 0;
  // The page's own language for the codes a live message carries (the message's labels are the site's default).
  var labelsElement = document.getElementById("incident-labels");
  var labels = labelsElement ? JSON.parse(labelsElement.textContent) : {};
  var sideLabels = labels.sides || {}, kindLabels = labels.kinds || {}, statusLabels = labels.statuses || {};
  var flagLabelsElement = document.getElementById("incident-flag-labels");
  var flagLabels = flagLabelsElement ? JSON.parse(flagLabelsElement.textContent) : {};
  var live = document.getElementById("incident-live");
  var closedNotice = document.getElementById("incident-closed-notice");
  // Present while no stand-down is asked for: shown when the request arrives, as the server draws it on a reload.
  var standDownNotice = document.getElementById("stand-down-live");

  function say(label) {
    if (!live) { return; }
    live.hidden = false;
    live.textContent = live.dataset[label] || "";
    live.classList.toggle("live", label === "labelLive");
    live.classList.toggle("down", label !== "labelLive");
  }

  function time(iso) {
    var moment = new Date(iso);
    var text = isNaN(moment.getTime()) ? iso : window.siteClock(iso, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    var element = document.createElement("time");
    element.setAttribute("datetime", iso);
    element.textContent = text;
    return element;
  }

  // The same markup as incidents/incident_event.html, built from text nodes only (no HTML from the wire).
  function eventItem(event) {
    var item = document.createElement("li");
    item.className = "event event-" + event.kind + " side-" + event.side;
    item.dataset.eventId = String(event.id);
    var headLine = document.createElement("p");
    headLine.className = "event-head";
    var kind = document.createElement("strong");
    kind.textContent = kindLabels[event.kind] || event.kind_label;
    headLine.appendChild(kind);
    var parts = [sideLabels[event.side] || event.side];
    if (event.actor) { parts.push(event.actor); }
    headLine.appendChild(document.createTextNode(" · " + parts.join(" · ") + " · "));
    headLine.appendChild(time(event.at));
    item.appendChild(headLine);
    if (event.text) {
      var text = document.createElement("p");
      text.className = "event-text";
      event.text.split("\n").forEach(function (line, index) {
        if (index) { text.appendChild(document.createElement("br")); }
        text.appendChild(document.createTextNode(line));
      });
      item.appendChild(text);
    }
    if (event.kind === "snapshot" && event.data && typeof event.data.url === "string" && event.data.url.charAt(0) === "/") {
      var link = document.createElement("a");
      link.href = event.data.url;
      link.textContent = timeline.dataset.labelSnapshot || "Snapshot";
      var wrap = document.createElement("p");
      wrap.appendChild(link);
      item.appendChild(wrap);
    }
    return item;
  }

  function tag(text, level) {
    var span = document.createElement("span");
    span.className = "tag priority-" + level;
    span.textContent = text;
    return span;
  }

  // The flags as incidents/incident_flags.html draws them, and the weapons named: the summary says whether
  // weapons were seen, an update that changed them says which ("changes" in its data).
  function showFlags(summary, changes) {
    document.querySelectorAll("[data-incident-flags]").forEach(function (flags) {
      var weapons = flags.dataset.weapons || "";
      if (changes && typeof changes.weapons === "string") { weapons = changes.weapons; }
      if (!summary.weapons) { weapons = ""; }
      flags.dataset.weapons = weapons;
      flags.textContent = "";
      var parts = [];
      if (summary.persons_at_risk) { parts.push(tag(flagLabels.persons || "Persons at risk", 4)); }
      if (summary.weapons) { parts.push(tag(flagLabels.weapons || "Weapons", 4)); }
      if (summary.verified) { parts.push(tag((flagLabels.verified || {})[summary.verification] || summary.verification, 3)); }
      parts.forEach(function (part) { flags.append(" ", part); });
      if (weapons) { flags.append(" — " + weapons); }
      if (!parts.length && flags.dataset.labelNone) { flags.append(" " + flags.dataset.labelNone); }
    });
  }

  function showIncident(summary, event) {
    if (!summary) { return; }
    var status = document.querySelector("[data-incident-status]");
    if (status && summary.status_label) { status.textContent = statusLabels[summary.status] || summary.status_label; }
    var unit = document.querySelector("[data-incident-unit]");
    if (unit) { unit.textContent = summary.assigned_unit || "—"; }
    var priority = document.querySelector("[data-incident-priority]");
    if (priority && typeof summary.priority === "number" && String(summary.priority) !== priority.dataset.incidentPriority) {
      // The label is the page's own ("Priority 120" in its language): only the number in it changes.
      priority.textContent = priority.textContent.replace(priority.dataset.incidentPriority, String(summary.priority));
      priority.dataset.incidentPriority = String(summary.priority);
    }
    showFlags(summary, event && event.data ? event.data.changes : null);
    if (summary.status === "closed" && closedNotice) { closedNotice.hidden = false; }
  }

  // A new entry flashes for a few seconds, as a new row on the board does (an outline when the browser asks
  // for reduced motion).
  function highlight(item) {
    item.classList.add("flash");
    window.setTimeout(function () { item.classList.remove("flash"); item.style.outline = ""; }, 6000);
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (still || typeof item.animate !== "function") { item.style.outline = "3px solid #e0a800"; return; }
    item.animate([{ backgroundColor: "#ffd166" }, { backgroundColor: "transparent" }], { duration: 6000, easing: "ease-out" });
  }

  function receive(message) {
    if (message.type === "reload") { window.location.reload(); return; }
    if (message.type !== "incident.event" || !message.event) { return; }
    var event = message.event;
    if (String(event.incident_id) !== String(incidentId) || event.id <= lastSeq) { return; }
    lastSeq = event.id;
    timeline.dataset.lastEventId = String(lastSeq);
    var item = eventItem(event);
    timeline.appendChild(item);
    highlight(item);
    if (event.kind === "movement" && event.data) { extendPath(event.data.movement); }
    if (event.kind === "cancel_requested" && standDownNotice) { standDownNotice.hidden = false; }
    showIncident(message.incident, event);
  }

  // A refused handshake reaches the page as a plain close (the server answers it with HTTP 403): after a few
  // attempts that never opened, stop and say so instead of retrying forever.
  var backoff = 1, socket = null, ping = null, failures = 0, MAX_FAILURES = 5;

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + (timeline.dataset.wsPath || "/ws/incidents/") +
      "?incident=" + encodeURIComponent(incidentId) + "&last_event_id=" + lastSeq;
    socket = new WebSocket(url);
    socket.addEventListener("open", function () {
      backoff = 1;
      failures = -1;
      say("labelLive");
      ping = window.setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) { socket.send("ping"); }
      }, PING_SECONDS * 1000);
    });
    socket.addEventListener("message", function (message) {
      if (message.data === "pong") { return; }
      try { receive(JSON.parse(message.data)); } catch (error) { /* a malformed message is skipped */ }
    });
    socket.addEventListener("close", function (closing) {
      window.clearInterval(ping);
      socket = null;
      failures += 1;
      if (closing.code === CLOSE_REFUSED || failures >= MAX_FAILURES) { say("labelRefused"); return; }
      say("labelReconnecting");
      window.setTimeout(connect, backoff * 1000);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_SECONDS);
    });
  }

  connect();
})();
