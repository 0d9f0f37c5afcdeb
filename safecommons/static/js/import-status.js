// Keep the import's status line current: live events over a websocket, polling as a fallback.
(function () {
  "use strict";
  var line = document.getElementById("import-status");
  if (!line) { return; }
  var done = function (status) { return status === "done" || status === "failed"; };
  if (done(line.dataset.status)) { return; }
  var importId = Number(line.dataset.importId);

  function show(state) {
    line.textContent = state.status + (state.total ? " — " + state.processed + " / " + state.total : "") +
      (state.message ? " — " + state.message : "");
    if (done(state.status)) { window.location.reload(); }
  }

  try {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
    socket.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (event.type === "area_import" && event.id === importId) { show(event); }
    };
  } catch (error) { /* polling below still runs */ }

  var timer = window.setInterval(function () {
    fetch(line.dataset.pollUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (state) { if (done(state.status)) { window.clearInterval(timer); } show(state); })
      .catch(function () {});
  }, 2000);
})();
