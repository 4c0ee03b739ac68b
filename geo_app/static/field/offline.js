/* geo_app field page: the service worker's registration and "download the area map".
 *
 * The area's tiles at the field zooms are listed from its bounds (the usual Web Mercator tile
 * grid), counted and priced before anything is fetched, refused above the cap, then fetched
 * four at a time into the cache the worker answers tiles from when the network is gone.
 */
(function () {
  "use strict";

  var AT_ONCE = 4;

  function column(lon, z) {
    return Math.floor((lon + 180) / 360 * Math.pow(2, z));
  }

  function row(lat, z) {
    var r = lat * Math.PI / 180;
    return Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * Math.pow(2, z));
  }

  // Every tile covering bounds (south, west, north, east) at each zoom.
  function tilesOf(bounds, zooms) {
    var found = [];
    zooms.forEach(function (z) {
      for (var x = column(bounds[1], z); x <= column(bounds[3], z); x += 1) {
        for (var y = row(bounds[2], z); y <= row(bounds[0], z); y += 1) {
          found.push({ z: z, x: x, y: y });
        }
      }
    });
    return found;
  }

  function estimate(config) {
    var limits = config.tiles;
    var tiles = config.area ? tilesOf(config.area.bounds, limits.zooms) : [];
    var bytes = tiles.length * limits.tileBytes;
    return {
      tiles: tiles,
      bytes: bytes,
      allowed: tiles.length > 0 && tiles.length <= limits.maxTiles && bytes <= limits.maxBytes
    };
  }

  function tileUrl(template, tile) {
    return template.replace("{z}", tile.z).replace("{x}", tile.x).replace("{y}", tile.y);
  }

  // Fetch and keep every tile; onProgress(done, failed, total) after each one.
  function download(config, tiles, onProgress) {
    var template = config.grids[0].url;
    var done = 0;
    var failed = 0;
    var next = 0;
    return caches.open(config.tiles.cache).then(function (cache) {
      function one() {
        if (next >= tiles.length) {
          return Promise.resolve();
        }
        var url = tileUrl(template, tiles[next]);
        next += 1;
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return cache.put(url, response);
        }).then(function () { done += 1; }, function () { failed += 1; }).then(function () {
          onProgress(done, failed, tiles.length);
          return one();
        });
      }
      var workers = [];
      for (var i = 0; i < AT_ONCE; i += 1) {
        workers.push(one());
      }
      return Promise.all(workers).then(function () { return { done: done, failed: failed }; });
    });
  }

  function register(config) {
    if (!("serviceWorker" in navigator)) {
      return Promise.resolve(null);
    }
    return navigator.serviceWorker.register(config.urls.worker, { scope: config.urls.page })
      .catch(function () { return null; });
  }

  window.fieldOffline = { estimate: estimate, download: download, register: register };
}());
