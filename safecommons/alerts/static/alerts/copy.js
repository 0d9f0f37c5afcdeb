// The copy button beside an alert's short text. Without JavaScript the text is there to select by hand.
(function () {
  "use strict";
  var button = document.getElementById("alert-copy");
  var text = document.getElementById("alert-short");
  var status = document.getElementById("alert-copy-status");
  if (!button || !text) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    function done() { if (status) { status.textContent = button.dataset.copied; } }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text.value).then(done, function () { text.select(); });
    } else {
      text.select();
      document.execCommand("copy");
      done();
    }
  });
}());
