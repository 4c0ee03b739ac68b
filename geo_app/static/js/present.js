/* geo_app briefing mode (?present=1) on the province, commune and campaign pages.
 *
 * The page embeds its steps (#present-data, made by geo_app/pages/presentation.py): a cover (the
 * whole page) and, on a campaign, one step per target (on a province, one per key area). ←/→
 * (and PageUp/PageDown, Space, the on-screen buttons) step through them, Home/End go back to the
 * cover; each step zooms the map to its place and writes its caption in large type. The step is
 * kept in the URL (#3) so a reload returns to it. "Present" asks the browser for full screen;
 * "Exit presentation" (and Esc outside full screen) goes back to the normal page. Everything
 * comes from the page: no request of its own, so it runs offline once loaded; text is written
 * with textContent, never as HTML.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("present-data").textContent);
  var map = window[data.map];
  var steps = data.steps;
  var caption = document.getElementById("present-caption");
  var counter = document.getElementById("present-counter");
  var prevButton = document.getElementById("present-prev");
  var nextButton = document.getElementById("present-next");
  var fullButton = document.getElementById("present-fullscreen");
  var exitLink = document.getElementById("present-exit");
  var MARK = { met: "✓", not_met: "✗", insufficient_data: "?", not_checked: "–" };
  var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var index = 0;
  var waiting = false; // a fit waits for the running zoom animation to end

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

  // --- the caption -------------------------------------------------------------------------

  function checkItem(check) {
    var li = el("li", "present-check present-check-" + check.verdict);
    li.setAttribute("data-verdict", check.verdict);
    var mark = el("span", "present-check-mark", MARK[check.verdict] || "–");
    mark.setAttribute("aria-hidden", "true");
    li.appendChild(mark);
    li.appendChild(el("span", "present-check-text", check.text));
    li.appendChild(el("span", "present-check-label", check.label));
    return li;
  }

  function drawCaption(step, cover) {
    caption.textContent = "";
    var said = step.badge || step.facts.length || step.checks.length;
    caption.hidden = cover && !said;
    caption.setAttribute("data-code", step.code);
    caption.appendChild(el("h2", "present-title", step.title));
    if (step.badge) {
      var badge = el("p", "present-badge");
      var swatch = el("span", "swatch");
      swatch.style.background = step.colour;
      swatch.setAttribute("aria-hidden", "true");
      badge.appendChild(swatch);
      badge.appendChild(el("span", null, step.badge));
      caption.appendChild(badge);
    }
    if (step.facts.length) {
      var facts = el("dl", "present-facts");
      step.facts.forEach(function (fact) {
        facts.appendChild(el("dt", null, fact[0]));
        facts.appendChild(el("dd", null, fact[1]));
      });
      caption.appendChild(facts);
    }
    if (step.checks.length) {
      caption.appendChild(el("h3", "present-checks-title", data.labels.checklist));
      var list = el("ul", "present-checks");
      step.checks.forEach(function (check) {
        list.appendChild(checkItem(check));
      });
      caption.appendChild(list);
    }
    caption.scrollTop = 0;
  }

  // --- the map -----------------------------------------------------------------------------

  function legendWidth() {
    var legend = document.querySelector(".geo-app-legend, .campaign-legend");
    return legend ? legend.getBoundingClientRect().width : 0;
  }

  /* Fit the place into what the caption and the legend leave free of the map. */
  function fit(bounds, animate) {
    if (!map || !bounds) {
      return;
    }
    if (map._animatingZoom) {
      // Leaflet drops a new view asked for during a zoom animation: fit once it has ended,
      // to the step shown by then (a presenter may press → several times in a row).
      if (!waiting) {
        waiting = true;
        map.once("zoomend", function () {
          waiting = false;
          fit(shownStep().bounds, true);
        });
      }
      return;
    }
    var frame = map.getContainer().getBoundingClientRect();
    var left = 0;
    var bottom = 0;
    if (!caption.hidden) {
      var box = caption.getBoundingClientRect();
      if (box.width < frame.width / 2) {
        left = box.right - frame.left;
      } else {
        bottom = frame.bottom - box.top;
      }
    }
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]], {
      paddingTopLeft: [left + 24, 24],
      paddingBottomRight: [legendWidth() + 24, bottom + 24],
      maxZoom: 15,
      animate: animate && !calm
    });
  }

  // --- stepping ----------------------------------------------------------------------------

  function remember(at) {
    if (window.history && window.history.replaceState) {
      var here = window.location.pathname + window.location.search;
      window.history.replaceState(null, "", at ? here + "#" + at : here);
    }
  }

  function shownStep() {
    return index ? steps[index - 1] : data.cover;
  }

  function go(at, animate) {
    index = Math.max(0, Math.min(steps.length, at));
    var step = shownStep();
    drawCaption(step, !index);
    document.documentElement.setAttribute("data-present-step", String(index));
    if (counter) {
      counter.textContent = index ? index + "/" + steps.length : data.labels.overview;
    }
    if (prevButton) {
      prevButton.disabled = index === 0;
    }
    fit(step.bounds, animate);
    remember(index);
  }

  function next() {
    go(index >= steps.length ? 0 : index + 1, true); // after the last target: the cover again
  }

  function previous() {
    go(index - 1, true);
  }

  function fromHash() {
    var asked = parseInt(window.location.hash.slice(1), 10);
    return asked >= 1 && asked <= steps.length ? asked : 0;
  }

  // --- full screen and leaving -------------------------------------------------------------

  var root = document.documentElement;
  var askFull = root.requestFullscreen || root.webkitRequestFullscreen;
  var leaveFull = document.exitFullscreen || document.webkitExitFullscreen;

  function fullElement() {
    return document.fullscreenElement || document.webkitFullscreenElement || null;
  }

  function toggleFull() {
    if (fullElement()) {
      leaveFull.call(document);
    } else if (askFull) {
      var asked = askFull.call(root);
      if (asked && asked.catch) {
        asked.catch(function () {}); // refused (no user gesture): the page still fills the window
      }
    }
  }

  function onFullChange() {
    fullButton.setAttribute("aria-pressed", fullElement() ? "true" : "false");
    if (map) {
      map.invalidateSize();
      go(index, false);
    }
  }

  function leave() {
    window.location.href = exitLink.href;
  }

  // --- keys and buttons --------------------------------------------------------------------

  var KEYS = {
    ArrowRight: next,
    ArrowDown: next,
    PageDown: next,
    " ": next,
    ArrowLeft: previous,
    ArrowUp: previous,
    PageUp: previous,
    Home: function () { go(0, true); },
    End: function () { go(0, true); }
  };

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) {
      return;
    }
    if (event.key === "Escape") {
      if (!fullElement()) {
        leave();
      }
      return;
    }
    var action = steps.length ? KEYS[event.key] : null;
    if (action) {
      event.preventDefault();
      event.stopPropagation(); // not Leaflet's panning with the arrows
      action();
    }
  }, true);

  if (prevButton) {
    prevButton.addEventListener("click", previous);
  }
  if (nextButton) {
    nextButton.addEventListener("click", next);
  }
  if (askFull) {
    fullButton.addEventListener("click", toggleFull);
  } else {
    fullButton.hidden = true; // no Fullscreen API (a phone): the layout fills the window anyway
  }
  document.addEventListener("fullscreenchange", onFullChange);
  document.addEventListener("webkitfullscreenchange", onFullChange);
  window.addEventListener("hashchange", function () {
    if (fromHash() !== index) {
      go(fromHash(), true);
    }
  });

  /* The legend always shown: open, and kept open. */
  Array.prototype.forEach.call(
    document.querySelectorAll(".geo-app-legend details, .campaign-legend details"),
    function (details) {
      details.open = true;
      details.addEventListener("toggle", function () {
        details.open = true;
      });
    }
  );

  if (map) {
    if (map.keyboard) {
      map.keyboard.disable();
    }
    map.invalidateSize();
  }
  go(fromHash(), false);
}());
