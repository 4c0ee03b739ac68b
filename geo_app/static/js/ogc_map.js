/* The OGC API's HTML items and item pages: draw the page's GeoJSON (embedded as data, not
   fetched again) on a Leaflet map without a basemap, and open an item from its popup. */
(function () {
  "use strict";
  var holder = document.getElementById("ogc-map");
  var data = document.getElementById("ogc-features");
  if (!holder || !data || !window.L) { return; }
  var geojson = JSON.parse(data.textContent);
  var base = holder.getAttribute("data-item-base");
  var query = holder.getAttribute("data-item-query");
  var nameColumn = holder.getAttribute("data-name");
  var map = L.map(holder, { fadeAnimation: false, maxZoom: 18 });

  function popup(feature) {
    var box = document.createElement("div");
    var name = feature.properties ? feature.properties[nameColumn] : null;
    var link = document.createElement("a");
    link.href = base + encodeURIComponent(String(feature.id)) + query;
    link.textContent = String(feature.id);
    box.appendChild(link);
    if (name !== null && name !== undefined) {
      box.appendChild(document.createTextNode(" " + String(name)));
    }
    return box;
  }

  var drawn = L.geoJSON(geojson, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, {
        radius: 6, weight: 1, color: "#333333", fillColor: "#d9480f", fillOpacity: 0.9
      });
    },
    style: function () { return { color: "#35506b", weight: 1, fillOpacity: 0.3 }; },
    onEachFeature: function (feature, layer) { layer.bindPopup(popup(feature)); }
  }).addTo(map);
  var bounds = drawn.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { maxZoom: 16, padding: [12, 12] });
  } else {
    map.setView([16, 106], 5);
  }
  holder.setAttribute("data-drawn", String(drawn.getLayers().length));
})();
