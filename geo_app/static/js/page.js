/* Every page's small script. What the pages' markup used to do with inline handlers
   (onchange=...), which the Content-Security-Policy forbids: a control marked
   data-submit-on-change submits its form when it changes (the month selector of the map
   pages). And on the login page: forget the kept field page (below). */
(function () {
  "use strict";
  // The login page (after a logout, or once a session ended) drops the field page the
  // field service worker kept for offline use: it names the last user and holds their area.
  // The queue (IndexedDB) and the downloaded area tiles stay: nothing unsent is lost.
  var forget = document.querySelector("[data-forget-field-page]");
  if (forget && window.caches) {
    var path = forget.getAttribute("data-forget-field-page");
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("geo-app-field-") === 0;
      }).map(function (name) {
        return caches.open(name).then(function (cache) {
          return cache.keys().then(function (requests) {
            return Promise.all(requests.filter(function (request) {
              return new URL(request.url).pathname === path;
            }).map(function (request) { return cache.delete(request); }));
          });
        });
      }));
    }).then(function () { forget.setAttribute("data-field-page-forgotten", "1"); });
  }
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control && control.form && control.hasAttribute("data-submit-on-change")) {
      control.form.submit();
    }
  });
})();
