// Keep an import run's status line current while it works; reload the page once it is done.
(function () {
  "use strict";
  var line = document.getElementById("crime-import-status");
  if (!line) { return; }
  var done = function (status) { return status === "done" || status === "failed"; };
  if (done(line.dataset.status)) { return; }
  var timer = window.setInterval(function () {
    fetch(line.dataset.pollUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (run) {
        var share = run.total_bytes ? Math.floor(100 * run.processed_bytes / run.total_bytes) + " %" : "";
        line.textContent = run.status + (share ? " — " + share : "") + " — " + run.rows_read + " rows read";
        if (done(run.status)) { window.clearInterval(timer); window.location.reload(); }
      })
      .catch(function () {});
  }, 2000);
})();
