// Live notice when one of your reports changes status (events addressed to the signed-in person).
(function () {
  "use strict";
  var box = document.getElementById("report-live");
  if (!box || typeof WebSocket === "undefined") { return; }
  var onlyReport = box.dataset.reportId ? Number(box.dataset.reportId) : null;
  try {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.type !== "report.status" || (onlyReport !== null && event.id !== onlyReport)) { return; }
      box.textContent = "";
      var link = document.createElement("a");
      link.href = event.url;
      link.textContent = "#" + event.id + " " + event.service + ": " + event.status_label;
      box.appendChild(link);
      if (event.note) { box.appendChild(document.createTextNode(" — " + event.note)); }
      box.hidden = false;
    };
  } catch (error) { /* the page still shows the state as of its loading */ }
})();
