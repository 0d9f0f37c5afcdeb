// The delivery page's numbers, refreshed every few seconds from the API while sending goes on. Without
// JavaScript the "Refresh" link reloads the page.
(function () {
  "use strict";
  var report = document.getElementById("delivery-report");
  if (!report || !report.hasAttribute("data-polling") || !window.fetch) { return; }
  var url = report.getAttribute("data-poll-url");
  var status = document.getElementById("delivery-status");
  var fields = ["queued", "attempted", "delivered", "failed", "pending", "skipped", "opt_outs"];

  function fill(row, stats) {
    if (!row) { return false; }
    fields.forEach(function (name) {
      var cell = row.querySelector('[data-field="' + name + '"]');
      if (cell) { cell.textContent = String(stats[name]); }
    });
    return true;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var complete = true;
        data.channels.forEach(function (stats) {
          complete = fill(report.querySelector('tr[data-channel="' + stats.channel + '"]'), stats) && complete;
        });
        fill(report.querySelector('tfoot tr[data-channel=""]'), data.total);
        if (!complete || data.done) {
          window.location.reload();  // a new channel appeared, or sending finished: show the final page
          return;
        }
        status.setAttribute("data-updated", new Date().toISOString());
        window.setTimeout(poll, 5000);
      })
      .catch(function () { window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, 3000);
}());
