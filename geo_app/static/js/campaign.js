/* geo_app campaign page: the month slider and its play button, the target panel, the legend.
 *
 * The page embeds its config (#campaign-config): the folium map and vector grid variable names,
 * the tile URL templates with a month token, the months of the slider and the first month's
 * report. Changing the month asks /api/campaigns/<id>/progress for that month, then redraws the
 * headline, the phase, the panel and the tiles (setUrl with the date the server answered for),
 * so map and panel always show the same moment, then swaps in the summary panel for that date
 * (/api/summary renders the same _summary.html partial as the page). Served by the app; no CDN,
 * no build step. Everything else comes from JSON and is written with textContent, never as HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("campaign-config").textContent);
  var vi = config.lang !== "en";
  var map = window[config.map];
  var slider = document.getElementById("campaign-month");
  var monthLabel = document.getElementById("campaign-month-label");
  var playButton = document.getElementById("campaign-play");
  var statusLine = document.getElementById("campaign-status");
  var list = document.getElementById("campaign-targets");
  var marker = document.getElementById("timeline-month");

  var TEXT = config.labels; // in the page's language, from the server's catalog
  var MARK = { met: "✓", not_met: "✗", insufficient_data: "?", not_checked: "–" };

  var current = config.initial;
  var asked = 0; // sequence number: only the latest answer is drawn
  var playing = false;
  var debounce = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function dayText(iso) {
    return iso ? iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4) : "…";
  }

  function monthText(key) {
    return key.slice(5, 7) + "/" + key.slice(0, 4);
  }

  function toDays(iso) {
    return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 86400000;
  }

  // --- the target panel --------------------------------------------------------------------

  function criterionItem(c) {
    var li = el("li", "criterion criterion-" + c.verdict);
    var mark = el("span", "criterion-mark", MARK[c.verdict] || "–");
    mark.setAttribute("aria-hidden", "true");
    li.appendChild(mark);
    li.appendChild(el("span", "criterion-text", c.text));
    li.appendChild(el("span", "criterion-verdict", c.verdict_label));
    return li;
  }

  function targetItem(t, open) {
    var li = el("li", "target target-" + t.progress);
    li.setAttribute("data-code", t.code);
    li.setAttribute("data-progress", t.progress);
    var details = el("details");
    details.open = open;
    var summary = el("summary");
    var swatch = el("span", "swatch");
    swatch.style.background = t.colour;
    swatch.setAttribute("aria-hidden", "true");
    summary.appendChild(swatch);
    summary.appendChild(el("span", "target-name", t.name));
    var score = t.criteria_total ? t.criteria_met + "/" + t.criteria_total : "–";
    summary.appendChild(el("span", "target-score", score));
    details.appendChild(summary);

    var body = el("div", "target-body");
    body.appendChild(el("p", "target-progress", t.progress_label));
    if (t.evaluated_on) {
      body.appendChild(el("p", null, TEXT.evaluatedOn + " " + dayText(t.evaluated_on) + " · " +
        TEXT.verdict + ": " + t.verdict_label + " · " + score + " " + TEXT.met));
    } else {
      body.appendChild(el("p", null, TEXT.notEvaluated));
    }
    if (t.phase) {
      body.appendChild(el("p", null, TEXT.phase + " " + t.phase));
    }
    if (t.overridden) {
      body.appendChild(el("p", "override", TEXT.overridden + ": " + t.override_reason + " (" +
        TEXT.computed + ": " + t.computed_verdict_label + ")"));
    }
    var ul = el("ul", "checklist");
    t.criteria.forEach(function (c) {
      ul.appendChild(criterionItem(c));
    });
    body.appendChild(ul);
    if (t.now_in) {
      var where = el("p", "target-link", TEXT.nowIn + " " + t.now_in.name + " (" + t.now_in.code + ") ");
      if (t.link) {
        var a = el("a", null, TEXT.open);
        a.href = t.link + (vi ? "" : "?lang=en");
        where.appendChild(a);
      }
      body.appendChild(where);
    }
    details.appendChild(body);
    li.appendChild(details);
    return li;
  }

  function renderPanel(data) {
    var open = {};
    Array.prototype.forEach.call(list.querySelectorAll("li.target"), function (li) {
      if (li.querySelector("details").open) {
        open[li.getAttribute("data-code")] = true;
      }
    });
    var fragment = document.createDocumentFragment();
    data.targets.forEach(function (t) {
      fragment.appendChild(targetItem(t, !!open[t.code]));
    });
    list.textContent = "";
    list.appendChild(fragment);
    document.getElementById("campaign-target-count").textContent = String(data.targets.length);
  }

  function render(data) {
    current = data;
    document.getElementById("campaign-headline").textContent = data.headline;
    document.getElementById("campaign-phase").textContent = data.phase.text;
    var asOf = document.getElementById("campaign-as-of");
    asOf.textContent = dayText(data.as_of);
    asOf.setAttribute("datetime", data.as_of);
    placeMarker(data.as_of);
    renderPanel(data);
  }

  function placeMarker(iso) {
    var start = toDays(config.timeline.start);
    var end = toDays(config.timeline.end);
    var at = Math.max(0, Math.min(1, (toDays(iso) - start) / Math.max(1, end - start)));
    marker.style.left = (100 * at).toFixed(2) + "%";
  }

  // --- tiles -------------------------------------------------------------------------------

  function retile(asOf) {
    Object.keys(config.grids).forEach(function (name) {
      var grid = window[name];
      if (grid && grid.setUrl) {
        grid.setUrl(config.grids[name].split(config.monthToken).join(asOf));
      }
    });
  }

  // --- the summary panel: the server renders it (GET /api/summary), we swap it in ----------

  var summaryAsked = 0;

  function refreshSummary(asOf) {
    var mine = ++summaryAsked;
    var params = new URLSearchParams({ month: asOf });
    if (config.summaryArea) {
      params.set("area", config.summaryArea);
    }
    if (!vi) {
      params.set("lang", "en");
    }
    return fetch(config.summaryUrl + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.error || response.statusText);
          }
          return body;
        });
      })
      .then(function (body) {
        var panel = document.getElementById("summary-panel");
        if (mine === summaryAsked && panel && body.html) {
          panel.outerHTML = body.html; // rendered and escaped by the server's template
        }
      })
      .catch(function (error) {
        if (mine === summaryAsked) {
          statusLine.textContent = TEXT.failed + " " + error.message;
        }
      });
  }

  // --- months ------------------------------------------------------------------------------

  function show(index) {
    var month = config.months[index];
    monthLabel.textContent = monthText(month);
    var mine = ++asked;
    var url = config.progressUrl + "?month=" + encodeURIComponent(month) + (vi ? "" : "&lang=en");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(body.error || response.statusText);
          }
          return body;
        });
      })
      .then(function (data) {
        if (mine !== asked) {
          return;
        }
        statusLine.textContent = "";
        render(data);
        retile(data.as_of);
        remember(month);
        return refreshSummary(data.as_of);
      })
      .catch(function (error) {
        if (mine === asked) {
          statusLine.textContent = TEXT.failed + " " + error.message;
          stop();
        }
      });
  }

  function remember(month) {
    if (!window.history || !window.history.replaceState) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    params.set("month", month);
    window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  function setPlaying(on) {
    playing = on;
    playButton.setAttribute("aria-pressed", on ? "true" : "false");
    playButton.textContent = playButton.getAttribute(on ? "data-pause" : "data-play");
  }

  function stop() {
    setPlaying(false);
  }

  function step() {
    if (!playing) {
      return;
    }
    var next = +slider.value + 1;
    if (next >= config.months.length) {
      stop();
      return;
    }
    slider.value = String(next);
    show(next).then(function () {
      window.setTimeout(step, 1200);
    });
  }

  playButton.addEventListener("click", function () {
    if (playing) {
      stop();
      return;
    }
    setPlaying(true);
    if (+slider.value >= config.months.length - 1) {
      slider.value = "0"; // play from the baseline
      show(0).then(function () {
        window.setTimeout(step, 1200);
      });
    } else {
      step();
    }
  });

  slider.addEventListener("input", function () {
    stop();
    monthLabel.textContent = monthText(config.months[+slider.value]);
    window.clearTimeout(debounce);
    debounce = window.setTimeout(function () {
      show(+slider.value);
    }, 200);
  });

  // --- map: legend, and a click on a target opens its entry in the panel ---------------------

  function addLegend() {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var holder = el("div", "campaign-legend leaflet-bar");
      var box = el("details");
      // Open on a projector; folded on a phone, where it would hide half the map.
      box.open = !(window.matchMedia && window.matchMedia("(max-width: 800px)").matches);
      box.appendChild(el("summary", null, config.legendTitle));
      holder.appendChild(box);
      function rows(items, round) {
        items.forEach(function (item) {
          var row = el("div", "legend-row");
          var swatch = el("span", round ? "swatch swatch-point" : "swatch");
          swatch.style.background = item.colour;
          row.appendChild(swatch);
          row.appendChild(el("span", null, item.label));
          box.appendChild(row);
        });
      }
      rows(config.legend, false);
      if (config.pointLegend) {
        box.appendChild(el("strong", "legend-points", config.pointLegend.title));
        rows(config.pointLegend.items, true);
      }
      L.DomEvent.disableClickPropagation(holder);
      return holder;
    };
    legend.addTo(map);
  }

  function focusTarget(code) {
    var found = null;
    Array.prototype.forEach.call(list.querySelectorAll("li.target"), function (li) {
      if (li.getAttribute("data-code") === String(code)) {
        found = li;
      }
    });
    if (found) {
      found.querySelector("details").open = true;
      found.scrollIntoView({ block: "nearest" });
    }
  }

  var progressGrid = window[config.progressGrid];
  if (progressGrid) {
    progressGrid.on("click", function (event) {
      var props = event.layer && event.layer.properties;
      if (props && props.code !== undefined) {
        focusTarget(props.code);
      }
    });
  }

  if (map) {
    addLegend();
  }
  render(current);
}());
