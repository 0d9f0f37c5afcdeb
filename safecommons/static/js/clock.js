// Times of day in the site's time zone (the <html> element's data-time-zone), as the pages the server renders
// show them, whatever zone the browser is set to: window.siteClock(iso, options) -> "14:05".
(function () {
  "use strict";
  window.siteClock = function (iso, options) {
    var zone = document.documentElement.dataset.timeZone;
    try {
      return new Date(iso).toLocaleTimeString([], Object.assign({ timeZone: zone || undefined }, options));
    } catch (error) {  // a zone this browser does not know
      return new Date(iso).toLocaleTimeString([], options);
    }
  };
})();
