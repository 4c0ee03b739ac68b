/* geo_app field page: the service worker (scope /field/), served by /field/sw.js with
 * self.FIELD = {version, assets, page, tiles, tileCache} written before this code.
 *
 * - install: keep the page and every static file it needs in a cache named after their
 *   contents (a new release gets a new name); activate removes the older caches.
 * - the page: from the network when there is one (and kept), else the kept copy.
 * - static files: the kept copy first (they change only with a release, and the name with it).
 * - tiles: the network first, else the copy "download the area map" kept (any data version),
 *   else an empty tile.
 * - the API is never answered from a cache: the page keeps its own copies and its queue.
 */
"use strict";

var STATIC_CACHE = "geo-app-field-" + self.FIELD.version;
var MVT = "application/vnd.mapbox-vector-tile";
var KEPT = [STATIC_CACHE, self.FIELD.tileCache];

function keepPage(cache) {
  return fetch(self.FIELD.page, { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      if (response.ok && !response.redirected) {
        return cache.put(self.FIELD.page, response);
      }
      return null;
    })
    .catch(function () { return null; });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(self.FIELD.assets).then(function () { return keepPage(cache); });
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("geo-app-field") === 0 && KEPT.indexOf(name) < 0;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function page(request) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(STATIC_CACHE).then(function (cache) { cache.put(request.url, copy); });
    }
    return response;
  }, function () {
    return caches.open(STATIC_CACHE).then(function (cache) {
      return cache.match(request.url).then(function (found) {
        return found || cache.match(self.FIELD.page, { ignoreSearch: true });
      });
    });
  });
}

function kept(request) {
  return caches.match(request, { cacheName: STATIC_CACHE }).then(function (found) {
    return found || fetch(request);
  });
}

// Asked as the page's script (no Basic challenge: a 401 would open the browser's password
// dialog over the page once the session has ended). Refused or unreachable, the tile comes
// from the downloaded copy (any data version), else it is drawn empty rather than failing.
function tile(request) {
  return fetch(request.url, {
    credentials: "same-origin",
    headers: { "X-Requested-With": "XMLHttpRequest" }
  }).then(function (response) {
    return response.ok ? response : tileCopy(request);
  }, function () {
    return tileCopy(request);
  });
}

function tileCopy(request) {
  return caches.open(self.FIELD.tileCache).then(function (cache) {
    return cache.match(request, { ignoreSearch: true });
  }).then(function (found) {
    return found || new Response(new ArrayBuffer(0), { headers: { "Content-Type": MVT } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname === self.FIELD.page) {
    event.respondWith(page(request));
  } else if (url.pathname.indexOf(self.FIELD.tiles) === 0) {
    event.respondWith(tile(request));
  } else if (self.FIELD.assets.indexOf(url.pathname) >= 0) {
    event.respondWith(kept(request));
  }
});
