/* geo_app vector tiles: styles per MVT layer and click popups, from the config the page
 * embeds (geo_app/maps/tile_styles.py). Served by the app itself; no CDN, no build step.
 *
 * Usage (written by folium): L.vectorGrid.protobuf(url, geoAppVectorTiles.options(config)).
 * The first call registers an init hook on L.VectorGrid, so every grid made with these options
 * opens a popup on click. Tile properties are plain text; everything shown is escaped here.
 *
 * Speed on a phone: a page's areas and points come in one tile (one request per z/x/y) that two
 * grids share (one fetch and decode, see sharedFetch): areas drawn as SVG (patterns, and clicks
 * through where nothing is painted), points and counts on one canvas per tile (thousands of SVG
 * paths made a province page slow). A canvas would take every click over its whole tile, so it
 * takes none (pointer-events: none) and the map's click is tested against its points instead.
 * Tiles are asked only inside the page's bounds (Vietnam): no requests for the sea around it.
 */
(function () {
  "use strict";

  var hooked = false;
  var PANE = "geoAppTiles";

  // Tiles go in their own pane inside the overlay pane, above the page's embedded GeoJSON (a
  // province outline would otherwise take every click meant for the communes drawn over it).
  function ensurePane(map) {
    if (!map.getPane(PANE)) {
      map.createPane(PANE, map.getPane("overlayPane"));
    }
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fillColour(layer, props) {
    var by = layer.fillBy;
    if (by && Object.prototype.hasOwnProperty.call(by[1], String(props[by[0]]))) {
      return by[1][String(props[by[0]])];
    }
    return layer.style.fillColor;
  }

  function styleFunction(name, layer) {
    return function (props) {
      props.geoAppLayer = name; // lets the click handler find the layer of a feature
      var s = layer.style;
      var style = {
        color: s.color,
        weight: s.weight,
        opacity: 1,
        fill: layer.kind !== "line",
        fillColor: fillColour(layer, props),
        fillOpacity: s.fillOpacity
      };
      if (layer.kind === "point") {
        style.radius = 6;
      } else if (layer.kind === "count") {
        style.radius = Math.min(22, 5 + 3 * Math.log(1 + props.count) / Math.LN2);
      }
      return style;
    };
  }

  function row(label, value) {
    return "<tr><th>" + escapeHtml(label) + "</th><td>" + escapeHtml(value) + "</td></tr>";
  }

  function countHtml(layer, props) {
    var rows = [row(layer.title, props.count)];
    (layer.flags || []).forEach(function (flag) {
      if (props[flag[0]] !== undefined) {
        rows.push(row(flag[1], props[flag[0]]));
      }
    });
    return "<table>" + rows.join("") + "</table><p>" + escapeHtml(layer.hint) + "</p>";
  }

  function featureHtml(layer, props, config) {
    var rows = [];
    layer.fields.forEach(function (field) {
      var value = props[field[0]];
      if (value === undefined || value === null || value === "") {
        return;
      }
      var labels = layer.values[field[0]];
      if (labels && Object.prototype.hasOwnProperty.call(labels, value)) {
        value = labels[value];
      }
      rows.push(row(field[1], value));
    });
    var html = "<p><b>" + escapeHtml(layer.title) + "</b></p><table>" + rows.join("") + "</table>";
    if (props.link) {
      html += '<a href="' + escapeHtml(props.link + config.linkSuffix) + '">' +
        escapeHtml(config.linkLabel) + "</a>";
    }
    return html;
  }

  // A tile's point is drawn from tile pixels and has no LatLng, but Leaflet asks a clicked
  // small circle for one (to centre the event on it) and fails; without it, the click counts.
  function withoutLatLng(create) {
    return function () {
      var layer = create.apply(this, arguments);
      if (layer.getLatLng) {
        layer.getLatLng = null;
      }
      return layer;
    };
  }

  // Grids with the same URL template share each tile's fetch and decode: the promise is kept
  // until it settles, and every grid of the page asks for its tiles in the same turn.
  var pending = {};

  function sharedFetch(fetchTile) {
    return function (coords) {
      var key = this._url + "@" + coords.z + "/" + coords.x + "/" + coords.y;
      var found = pending[key];
      if (!found) {
        found = fetchTile.call(this, coords);
        pending[key] = found;
        var forget = function () { delete pending[key]; };
        found.then(forget, forget);
      }
      return found;
    };
  }

  function isCanvas(config) {
    return Object.keys(config.layers).every(function (name) {
      var kind = config.layers[name].kind;
      return kind === "point" || kind === "count";
    });
  }

  // A canvas tile keeps its renderer where the map's click can find it, and lets clicks pass.
  function canvasRenderer(grid) {
    grid._geoAppCanvases = {};
    grid.on("tileunload", function (event) {
      delete grid._geoAppCanvases[grid._tileCoordsToKey(event.coords)];
    });
    return function (coords, size, options) {
      var renderer = L.canvas.tile(coords, size, options);
      renderer.getContainer().style.pointerEvents = "none";
      grid._geoAppCanvases[grid._tileCoordsToKey(coords)] = renderer;
      return renderer;
    };
  }

  // The click in the tile's own pixels: from its LatLng at the tile's zoom (at a fractional
  // map zoom the tiles are scaled, so the map's layer points are not the tile's pixels).
  function pointAt(grid, event) {
    var found = null;
    Object.keys(grid._geoAppCanvases).forEach(function (key) {
      var renderer = grid._geoAppCanvases[key];
      var coord = renderer.getCoord();
      if (!renderer._map || coord.z !== grid._tileZoom) {
        return;
      }
      var origin = coord.scaleBy(renderer._size);
      var point = grid._map.project(event.latlng, coord.z).subtract(origin);
      Object.keys(renderer._layers).forEach(function (id) {
        var layer = renderer._layers[id];
        if (layer._containsPoint && layer._containsPoint(point)) {
          found = layer;
        }
      });
    });
    return found;
  }

  var pointClickStamp = null; // the DOM time stamp of the last click a point took

  function clickThrough(grid) {
    // "preclick" comes before the click reaches the SVG areas under the point: a point found
    // here opens its popup and notes the click's time stamp, so the area beneath opens none
    // (Leaflet hands "preclick" a copy of the DOM event, so the stamp is what both share).
    var onMapClick = function (event) {
      var layer = pointAt(grid, event);
      var stamp = event.originalEvent && event.originalEvent.timeStamp;
      if (layer && stamp !== pointClickStamp) {
        pointClickStamp = stamp;
        grid.fire("click", { layer: layer, latlng: event.latlng, originalEvent: event.originalEvent });
      }
    };
    var map = null;
    grid.on("add", function () {
      map = grid._map;
      map.on("preclick", onMapClick);
    });
    grid.on("remove", function () {
      if (map) {
        map.off("preclick", onMapClick);
      }
    });
  }

  function wire(grid, config) {
    grid.on("click", function (event) {
      var stamp = event.originalEvent && event.originalEvent.timeStamp;
      if (!isCanvas(config) && stamp !== undefined && stamp === pointClickStamp) {
        return; // a point above this area took the click
      }
      var props = event.layer && event.layer.properties;
      var layer = props && config.layers[props.geoAppLayer];
      if (!layer || !grid._map) {
        return;
      }
      var html = layer.kind === "count" ? countHtml(layer, props) : featureHtml(layer, props, config);
      L.popup({ maxWidth: 320 }).setLatLng(event.latlng).setContent(html).openOn(grid._map);
    });
  }

  function options(config) {
    if (!hooked) {
      L.VectorGrid.addInitHook(function () {
        if (this.options.geoApp) {
          this.beforeAdd = ensurePane;
          this._createLayer = withoutLatLng(this._createLayer);
          this._getVectorTilePromise = sharedFetch(this._getVectorTilePromise);
          if (isCanvas(this.options.geoApp)) {
            this.options.rendererFactory = canvasRenderer(this);
            clickThrough(this);
          }
          wire(this, this.options.geoApp);
        }
      });
      hooked = true;
    }
    var styles = {};
    (config.skip || []).forEach(function (name) {
      styles[name] = []; // in the shared tile, drawn by the page's other grid
    });
    Object.keys(config.layers).forEach(function (name) {
      styles[name] = styleFunction(name, config.layers[name]);
    });
    return {
      rendererFactory: L.svg.tile,
      interactive: true,
      vectorTileLayerStyles: styles,
      pane: PANE,
      maxNativeZoom: config.maxNativeZoom || 16,
      bounds: config.bounds || null,
      geoApp: config
    };
  }

  window.geoAppVectorTiles = { options: options };
}());
