// Web push: when the subscriber asks for notifications in this browser, register our service worker,
// subscribe with the platform's VAPID key and put the PushSubscription into the form, which saves it.
(function () {
  "use strict";
  var box = document.getElementById("push-choice");
  if (!box) { return; }
  var status = document.getElementById("push-status");
  var field = document.querySelector("#subscribe-form [name=push_subscription]");
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  box.hidden = false;
  if (!supported) {
    status.textContent = box.dataset.labelUnsupported;
    document.getElementById("push-enable").disabled = true;
    return;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  document.getElementById("push-enable").addEventListener("click", function () {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return navigator.serviceWorker.register(box.dataset.worker);
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.getSubscription().then(function (existing) {
        return existing || registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey)
        });
      });
    }).then(function (subscription) {
      field.value = JSON.stringify(subscription.toJSON());
      status.textContent = box.dataset.labelOn;
    }).catch(function (error) {
      status.textContent = error && error.message === "denied" ? box.dataset.labelDenied : box.dataset.labelUnsupported;
    });
  });
})();
