/* geo_app field page: the map, "my location", placing a hotspot by GPS or by a tap, the nearby
 * list with its actions, the queue and what was sent today. Every action goes through
 * fieldQueue (queue.js) first; the config comes from the page (pages/field.py, web/field.py).
 * Everything shown from the server or the officer is set as text, never as HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("field-config").textContent);
  var L10N = config.labels;
  var Q = window.fieldQueue;
  var map = null;
  var here = null;      // {lat, lon, accuracy} of the last GPS fix
  var hereLayer = null;
  var placing = null;   // {lat, lon, placed_by, accuracy_m, replaces}
  var placedMarker = null;
  var tapMode = false;
  var opened = null;    // the nearby item (or rejected item's target) in the detail panel
  var nearbyLayer = null;
  var queuedLayer = null; // the hotspots marked but not yet stored (pending or rejected)
  var timer = null;

  function $(id) { return document.getElementById(id); }

  function say(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function labelOf(vocabulary, code) {
    var found = (config.vocabularies[vocabulary] || []).filter(function (t) { return t.code === code; });
    return found.length ? found[0].label : code;
  }

  function uuid() { return crypto.randomUUID(); }

  function url(name, values) {
    return say(config.urls[name].replace(/\{(\w+)\}/g, "%($1)s"), values);
  }

  // -- the map ---------------------------------------------------------------------------------

  function drawMap() {
    // Closer than 18 the zoom-16 tiles are only enlarged; a street is plain at 16–18.
    map = L.map("field-map", { zoomControl: true, fadeAnimation: false, maxZoom: 18 });
    config.grids.forEach(function (grid) {
      L.vectorGrid.protobuf(grid.url, geoAppVectorTiles.options(grid.config)).addTo(map);
    });
    nearbyLayer = L.layerGroup().addTo(map);
    queuedLayer = L.layerGroup().addTo(map);
    if (config.area) {
      var b = config.area.bounds;
      L.geoJSON(config.area.outline, { style: { color: "#1f3b57", weight: 3, fill: false }, interactive: false }).addTo(map);
      if (config.gaps) {
        // Hamlets and groups without a working board or box: where to install or repair one.
        L.geoJSON(config.gaps.collection, {
          style: config.gaps.style,
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(feature.properties.lacks_label);
          }
        }).addTo(map);
      }
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    } else {
      map.fitBounds([[8.2, 102.1], [23.4, 109.5]]);
    }
    // "preclick" comes before any layer under the finger takes the click (an area's popup):
    // in tap mode the tap places the point and that popup is not opened.
    var tapped = false;
    map.on("preclick", function (event) {
      if (tapMode) {
        tapped = true;
        setTimeout(function () { tapped = false; }, 0);
        setTapMode(false);
        startPlacing(event.latlng.lat, event.latlng.lng, "tap", null);
      }
    });
    map.on("popupopen", function () {
      if (tapped) { map.closePopup(); }
    });
  }

  function showHere() {
    var at = [here.lat, here.lon];
    if (hereLayer) { map.removeLayer(hereLayer); }
    hereLayer = L.layerGroup([
      L.circle(at, { radius: here.accuracy, color: "#2166ac", weight: 1, fillOpacity: 0.15, interactive: false }),
      L.circleMarker(at, { radius: 7, color: "#ffffff", weight: 2, fillColor: "#2166ac", fillOpacity: 1 })
    ]).addTo(map);
  }

  function locate(then) {
    hint(L10N.locating);
    navigator.geolocation.getCurrentPosition(function (position) {
      here = { lat: position.coords.latitude, lon: position.coords.longitude, accuracy: position.coords.accuracy };
      Q.setState("here", here);
      showHere();
      map.setView([here.lat, here.lon], Math.max(map.getZoom(), 16));
      hint(L10N.accuracy + " ± " + Math.round(here.accuracy) + " m");
      loadNearby();
      if (then) { then(); }
    }, function (error) {
      hint(L10N.locationFailed + " " + error.message);
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 });
  }

  function hint(text) { $("field-hint").textContent = text; }

  function setTapMode(on) {
    tapMode = on;
    $("field-mark-tap").setAttribute("aria-pressed", on ? "true" : "false");
    if (on) { hint(L10N.tapNow); }
  }

  // -- the new-hotspot form ----------------------------------------------------------------------

  function startPlacing(lat, lon, method, accuracy, previous) {
    placing = { lat: lat, lon: lon, placed_by: method, accuracy_m: accuracy, replaces: previous ? previous.client_id : null };
    if (placedMarker) { map.removeLayer(placedMarker); }
    placedMarker = L.marker([lat, lon], { interactive: false }).addTo(map);
    var how = method === "gps" ? L10N.byGps + " (± " + Math.round(accuracy) + " m)" : L10N.byTap;
    $("field-where").textContent = lat.toFixed(6) + ", " + lon.toFixed(6) + " · " + how;
    var form = $("field-form");
    if (previous) {
      ["kind", "source", "detected_on", "notes"].forEach(function (name) {
        form.elements[name].value = previous.body.properties[name] || "";
      });
    }
    form.hidden = false;
    form.scrollIntoView({ block: "nearest" });
  }

  function stopPlacing() {
    placing = null;
    $("field-form").hidden = true;
    if (placedMarker) { map.removeLayer(placedMarker); placedMarker = null; }
  }

  function saveHotspot(event) {
    event.preventDefault();
    var form = event.target;
    var properties = {
      client_id: uuid(),
      kind: form.elements.kind.value,
      source: form.elements.source.value,
      detected_on: form.elements.detected_on.value,
      notes: form.elements.notes.value.trim() || null,
      placed_by: placing.placed_by,
      accuracy_m: placing.accuracy_m === null ? null : Math.round(placing.accuracy_m * 10) / 10
    };
    var replaces = placing.replaces;
    enqueue({
      kind: "create",
      method: "POST",
      url: url("create", { layer: "hotspots" }),
      ifMatch: null,
      label: L10N.newHotspot + ": " + labelOf("hotspot_kind", properties.kind),
      body: { type: "Feature", geometry: { type: "Point", coordinates: [placing.lon, placing.lat] }, properties: properties }
    }, replaces);
    form.elements.notes.value = "";
    stopPlacing();
  }

  // -- the queue -------------------------------------------------------------------------------

  function enqueue(action, replaces) {
    action.day = config.today;
    action.login = config.login;
    var gone = replaces ? Q.remove(replaces) : Promise.resolve();
    return gone.then(function () { return Q.add(action); }).then(function () {
      hint(L10N.queued);
      return render();
    }).then(function () { sync(false); });
  }

  function sync(force) {
    if (!navigator.onLine) { return render(); }
    $("field-net").textContent = L10N.sending;
    return Q.sync({ urls: config.urls, lang: config.lang, force: force }).then(function (outcome) {
      $("field-relogin").hidden = outcome !== "paused";
      if (outcome === "done") { loadToday(); loadNearby(); }
      return render();
    });
  }

  function schedule(items) {
    if (timer) { clearTimeout(timer); timer = null; }
    var due = Q.nextDue(items);
    if (due !== null && navigator.onLine) {
      timer = setTimeout(function () { sync(false); }, Math.max(1000, due - Date.now()));
    }
  }

  function featureText(feature) {
    if (!feature || !feature.properties) { return ""; }
    var p = feature.properties;
    var parts = [L10N.version + " " + p.version];
    if (p.status) { parts.push(L10N.status + ": " + labelOf("hotspot_status", p.status)); }
    if (p.condition) { parts.push(labelOf("facility_condition", p.condition)); }
    return parts.join(" · ");
  }

  function yoursText(item) {
    var b = item.body;
    if (item.kind === "status") {
      return labelOf("hotspot_status", b.properties.status) + " (" + b.properties.status_on + "), " + L10N.version + " " + item.ifMatch;
    }
    return item.label;
  }

  function relapseOf(item) {
    var result = item.result || {};
    var feature = result.feature || result;
    return feature && feature.flags && feature.flags.relapse_candidate;
  }

  function queueRow(item) {
    var li = el("li", null, "field-item field-" + item.state);
    li.dataset.clientId = item.client_id;
    li.appendChild(el("span", item.label, "field-item-label"));
    li.appendChild(el("span", L10N[item.state], "field-state"));
    var relapse = relapseOf(item);
    if (relapse) { li.appendChild(el("p", L10N.relapse + ": " + relapse.message, "field-relapse")); }
    if (item.state === "pending" && item.login && item.login !== config.login) {
      li.appendChild(el("p", say(L10N.otherLogin, { login: item.login }), "field-other-login"));
    }
    if (item.state === "pending" && item.attempts > 0) {
      li.appendChild(el("small", L10N.retryAt + " " + new Date(item.nextAt).toLocaleTimeString()));
    }
    if (item.state === "rejected") {
      li.appendChild(el("p", item.message, "field-message"));
      if (item.current) {
        li.appendChild(el("p", L10N.yours + ": " + yoursText(item), "field-yours"));
        li.appendChild(el("p", L10N.server + ": " + featureText(item.current), "field-current"));
      }
      var fix = el("button", L10N.fix, "big field-fix");
      fix.type = "button";
      fix.addEventListener("click", function () { fixItem(item); });
      var discard = el("button", L10N.discard, "big field-discard");
      discard.type = "button";
      discard.addEventListener("click", function () { Q.remove(item.client_id).then(render); });
      li.appendChild(fix);
      li.appendChild(discard);
    }
    return li;
  }

  function render() {
    return Q.all().then(function (items) {
      var list = $("field-queue");
      list.textContent = "";
      var today = items.filter(function (i) { return i.state !== "sent"; });
      today.forEach(function (item) { list.appendChild(queueRow(item)); });
      $("field-pending-count").textContent = items.filter(function (i) { return i.state === "pending"; }).length;
      $("field-rejected-count").textContent = items.filter(function (i) { return i.state === "rejected"; }).length;
      $("field-net").textContent = navigator.onLine ? L10N.online : L10N.offline;
      renderToday(items);
      drawQueued(items);
      schedule(items);
    });
  }

  function drawQueued(items) {
    queuedLayer.clearLayers();
    items.filter(function (i) { return i.kind === "create" && i.state !== "sent"; }).forEach(function (item) {
      var c = item.body.geometry.coordinates;
      L.circleMarker([c[1], c[0]], {
        radius: 8, color: item.state === "rejected" ? "#b2182b" : "#8c510a", weight: 3,
        dashArray: "4 3", fillOpacity: 0.2, interactive: false
      }).addTo(queuedLayer);
    });
  }

  // A rejected item fixed: a stale one is sent again over the server's current version; the
  // others reopen their form with what was entered.
  function fixItem(item) {
    if (item.kind === "create") {
      var c = item.body.geometry.coordinates;
      startPlacing(c[1], c[0], item.body.properties.placed_by, item.body.properties.accuracy_m, item);
      return;
    }
    var target = Object.assign({}, item.target);
    if (item.current && item.current.properties) {
      target.version = item.current.properties.version;
      target.status = item.current.properties.status || target.status;
    }
    target.replaces = item.client_id;
    openDetail(target);
  }

  // -- nearby and the detail panel ------------------------------------------------------------

  function loadNearby() {
    var centre = here || (map && { lat: map.getCenter().lat, lon: map.getCenter().lng });
    if (!centre) { return Promise.resolve(); }
    if (!navigator.onLine) { return showSavedNearby(); }
    var asked = config.urls.nearby + "?lon=" + centre.lon + "&lat=" + centre.lat + "&radius=3000" +
      (config.lang === "en" ? "&lang=en" : "");
    return fetch(asked, { credentials: "same-origin", headers: Q.headers }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (body) {
      return Q.setState("nearby", body.items).then(function () { showNearby(body.items, false); });
    }).catch(showSavedNearby);
  }

  function showSavedNearby() {
    return Q.getState("nearby").then(function (items) { showNearby(items || [], true); });
  }

  function showNearby(items, saved) {
    var list = $("field-nearby");
    list.textContent = "";
    nearbyLayer.clearLayers();
    $("field-nearby-note").textContent = saved ? L10N.nearbyStale : "";
    if (!items.length) { list.appendChild(el("li", L10N.nearbyEmpty)); }
    items.forEach(function (item) {
      var li = el("li", null, "field-item");
      var open = el("button", (config.layers[item.layer] || item.layer) + ": " + item.label +
        (item.status_label ? " · " + item.status_label : "") + " · " + Math.round(item.distance_m) + " m",
        "big field-open");
      open.type = "button";
      open.dataset.layer = item.layer;
      open.dataset.id = item.id;
      open.addEventListener("click", function () { openDetail(item); });
      li.appendChild(open);
      list.appendChild(li);
      if (item.geometry && item.geometry.type === "Point") {
        var c = item.geometry.coordinates;
        L.circleMarker([c[1], c[0]], { radius: 9, color: "#000", weight: 2, fillOpacity: 0 })
          .on("click", function () { openDetail(item); }).addTo(nearbyLayer);
      }
    });
  }

  var FORMS = { hotspots: "field-status-form", hotline_boards: "field-check-form", tipoff_boxes: "field-inspection-form" };

  function openDetail(item) {
    opened = item;
    $("field-detail-title").textContent = item.label;
    $("field-detail-info").textContent = (item.status_label || "") + (item.version ? " · " + L10N.version + " " + item.version : "");
    Object.keys(FORMS).forEach(function (layer) { $(FORMS[layer]).hidden = layer !== item.layer; });
    if (item.layer === "hotspots") {
      var select = $("field-status-form").elements.status;
      select.textContent = "";
      (config.transitions[item.status] || []).forEach(function (code) {
        var option = el("option", labelOf("hotspot_status", code));
        option.value = code;
        select.appendChild(option);
      });
    }
    $("field-detail").hidden = false;
    $("field-detail").scrollIntoView({ block: "nearest" });
  }

  function closeDetail() {
    opened = null;
    $("field-detail").hidden = true;
  }

  function target() {
    return { layer: opened.layer, id: opened.id, version: opened.version, status: opened.status, label: opened.label, status_label: opened.status_label };
  }

  function saveStatus(event) {
    event.preventDefault();
    var f = event.target.elements;
    if (!f.reason.value.trim()) { hint(L10N.reasonNeeded); return; }
    var status = f.status.value;
    enqueue({
      kind: "status",
      method: "PATCH",
      url: url("item", { layer: "hotspots", id: opened.id }),
      ifMatch: opened.version,
      target: target(),
      label: L10N.statusChange + ": " + opened.label + " → " + labelOf("hotspot_status", status),
      body: { client_id: uuid(), properties: { status: status, status_on: f.status_on.value }, reason: f.reason.value.trim() }
    }, opened.replaces);
    f.reason.value = "";
    closeDetail();
  }

  function saveCheck(event) {
    event.preventDefault();
    var f = event.target.elements;
    enqueue({
      kind: "check",
      method: "POST",
      url: url("checks", { id: opened.id }),
      ifMatch: null,
      target: target(),
      label: L10N.boardCheck + ": " + opened.label + " · " + labelOf("facility_condition", f.condition.value),
      body: { client_id: uuid(), checked_on: f.checked_on.value, condition: f.condition.value }
    }, opened.replaces);
    closeDetail();
  }

  function saveInspection(event) {
    event.preventDefault();
    var f = event.target.elements;
    var received = parseInt(f.letters_received.value, 10);
    var forwarded = parseInt(f.letters_forwarded.value, 10);
    if (forwarded > received) { hint(L10N.lettersInvalid); return; }
    enqueue({
      kind: "inspection",
      method: "POST",
      url: url("inspections", { id: opened.id }),
      ifMatch: null,
      target: target(),
      label: L10N.boxOpening + ": " + opened.label,
      body: { client_id: uuid(), inspected_on: f.inspected_on.value, letters_received: received, letters_forwarded: forwarded }
    }, opened.replaces);
    closeDetail();
  }

  // -- sent today --------------------------------------------------------------------------------

  function loadToday() {
    if (!navigator.onLine) { return Promise.resolve(); }
    return fetch(config.urls.today, { credentials: "same-origin", headers: Q.headers }).then(function (response) {
      return response.ok ? response.json() : { items: [] };
    }).then(function (body) {
      return Q.setState("today", body.items || []);
    }).then(render, function () { return null; });
  }

  function renderToday(items) {
    return Q.getState("today").then(function (server) {
      var list = $("field-today");
      list.textContent = "";
      var mine = items.filter(function (i) { return i.state === "sent" && i.day === config.today; });
      var known = {};
      mine.forEach(function (item) {
        known[item.client_id] = true;
        list.appendChild(queueRow(item));
      });
      (server || []).forEach(function (row) {
        if (!known[row.client_id]) {
          var what = (config.layers[row.layer] || row.layer) + " #" + row.row_id;
          list.appendChild(el("li", what + " · " + new Date(row.at).toLocaleTimeString(), "field-item field-sent"));
        }
      });
      if (!list.children.length) { list.appendChild(el("li", L10N.todayEmpty)); }
    });
  }

  // -- offline map -------------------------------------------------------------------------------

  var planned = null;

  function planDownload() {
    var found = fieldOffline.estimate(config);
    var mb = (found.bytes / 1048576).toFixed(1);
    var text = config.area ? say(L10N.estimate, { tiles: found.tiles.length, size: mb }) : L10N.noArea;
    if (config.area && !found.allowed) {
      text += " " + say(L10N.tooMany, { tiles: config.tiles.maxTiles, size: config.tiles.maxBytes / 1048576 });
    }
    $("field-download-estimate").textContent = text;
    planned = found.allowed ? found.tiles : null;
    $("field-download-go").hidden = !planned;
  }

  function startDownload() {
    if (!planned) { return; }
    var bar = $("field-download-progress");
    bar.hidden = false;
    bar.value = 0;
    $("field-download-go").hidden = true;
    fieldOffline.download(config, planned, function (done, failed, total) {
      bar.value = Math.round(100 * (done + failed) / total);
    }).then(function (outcome) {
      $("field-download-estimate").textContent = outcome.failed ?
        say(L10N.downloadFailed, { failed: outcome.failed }) : say(L10N.downloaded, { done: outcome.done });
    });
  }

  // -- wiring ----------------------------------------------------------------------------------

  function wire() {
    $("field-locate").addEventListener("click", function () { locate(null); });
    $("field-mark-gps").addEventListener("click", function () {
      locate(function () { startPlacing(here.lat, here.lon, "gps", here.accuracy); });
    });
    $("field-mark-tap").addEventListener("click", function () { setTapMode(!tapMode); });
    $("field-form").addEventListener("submit", saveHotspot);
    $("field-form-cancel").addEventListener("click", stopPlacing);
    $("field-status-form").addEventListener("submit", saveStatus);
    $("field-check-form").addEventListener("submit", saveCheck);
    $("field-inspection-form").addEventListener("submit", saveInspection);
    $("field-detail-close").addEventListener("click", closeDetail);
    $("field-send").addEventListener("click", function () { sync(true); });
    $("field-download").addEventListener("click", planDownload);
    $("field-download-go").addEventListener("click", startDownload);
    window.addEventListener("online", function () { sync(true); });
    window.addEventListener("offline", render);
  }

  function start() {
    drawMap();
    wire();
    fieldOffline.register(config);
    // The last position found (kept across reloads) centres the nearby list until a new fix.
    Q.forgetBefore(config.today).then(function () {
      return Q.getState("here");
    }).then(function (saved) {
      if (saved && !here) { here = saved; showHere(); }
      return render();
    }).then(function () {
      document.body.dataset.fieldReady = "true";
      loadNearby();
      loadToday();
      return sync(true);
    });
  }

  start();
}());
