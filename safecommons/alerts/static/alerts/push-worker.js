// The service worker that shows an alert pushed to this browser. The push body is JSON:
// {"title": ..., "body": ..., "url": ...}; a click opens the alert's page.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Alert", {
    body: data.body || "", data: { url: data.url || "/" }, tag: data.tag || undefined, lang: data.lang || undefined
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
