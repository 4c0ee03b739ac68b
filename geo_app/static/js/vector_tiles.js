/* geo_app vector tiles: styles per MVT layer and click popups, from the config the page
 * embeds (geo_app/maps/tile_styles.py). Served by the app itself; no CDN, no build step.
 *
 * Usage (written by folium): L.vectorGrid.protobuf(url, geoAppVectorTiles.options(config)).
 * The first call registers an init hook on L.VectorGrid, so every grid made with these options
 * opens a popup on click. Tile properties are plain text; everything shown is escaped here.
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

  function wire(grid, config) {
    grid.on("click", function (event) {
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
          wire(this, this.options.geoApp);
        }
      });
      hooked = true;
    }
    var styles = {};
    Object.keys(config.layers).forEach(function (name) {
      styles[name] = styleFunction(name, config.layers[name]);
    });
    return {
      rendererFactory: L.svg.tile,
      interactive: true,
      vectorTileLayerStyles: styles,
      pane: PANE,
      maxNativeZoom: config.maxNativeZoom || 16,
      geoApp: config
    };
  }

  window.geoAppVectorTiles = { options: options };
}());
