/* geo_app field page: the offline queue of actions, kept in IndexedDB (vendored idb).
 *
 * Every action (a new hotspot, a status change, a board check, a box opening) is stored here
 * first, with the UUID the server uses to recognise a resend, so nothing is lost when the
 * network drops, the tab closes or the phone restarts. sync() sends the pending items in the
 * order they were made, with a CSRF token read fresh from the server before each round:
 *   2xx      sent (a resend of an already stored action answers 200 with the stored row);
 *   401      the session ended: the queue pauses until the officer logs in again;
 *   4xx      rejected with the server's message (409 keeps the server's current row), kept
 *            until the officer fixes or discards it: never dropped silently;
 *   5xx, 429 or no network: tried again later, waiting longer each time (backoff).
 * Each item carries the login that made it, and a round sends only the items of the login the
 * server says is logged in: on a shared phone, one officer's queue never goes out under
 * another's name (it waits, shown as such, until its maker logs in again).
 */
(function () {
  "use strict";

  var DB_NAME = "geo-app-field";
  var QUEUE = "queue";
  var STATE = "state";
  var FIRST_WAIT_MS = 5000;
  var LONGEST_WAIT_MS = 5 * 60 * 1000;
  var SCRIPT = { "X-Requested-With": "XMLHttpRequest" };
  // Said on every request: a 401 then comes without the Basic challenge, whose browser
  // password dialog would block the page (web/auth.py unauthorized).
  var RETRIED = { 429: true, 500: true, 502: true, 503: true, 504: true };

  var opened = null;

  function db() {
    if (!opened) {
      opened = idb.openDB(DB_NAME, 1, {
        upgrade: function (store) {
          store.createObjectStore(QUEUE, { keyPath: "client_id" });
          store.createObjectStore(STATE);
        }
      });
    }
    return opened;
  }

  function all() {
    return db().then(function (d) { return d.getAll(QUEUE); }).then(function (items) {
      return items.sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  function put(item) {
    return db().then(function (d) { return d.put(QUEUE, item); });
  }

  function remove(clientId) {
    return db().then(function (d) { return d.delete(QUEUE, clientId); });
  }

  function getState(key) {
    return db().then(function (d) { return d.get(STATE, key); });
  }

  function setState(key, value) {
    return db().then(function (d) { return d.put(STATE, value, key); });
  }

  // A new action: pending, sent at the next round. `action` holds login (who made it), kind,
  // method, url, body
  // (its client_id at the top, or in the properties of a Feature), ifMatch (a version or
  // null), label and target (what it acts on, for a fix).
  function add(action) {
    var item = Object.assign({}, action, {
      client_id: action.body.client_id || action.body.properties.client_id,
      seq: Date.now() + Math.random(),
      state: "pending",
      attempts: 0,
      nextAt: 0,
      message: null,
      current: null,
      result: null
    });
    return put(item).then(function () { return item; });
  }

  function backoff(item) {
    item.attempts += 1;
    var wait = Math.min(FIRST_WAIT_MS * Math.pow(2, item.attempts - 1), LONGEST_WAIT_MS);
    item.nextAt = Date.now() + wait;
    return put(item);
  }

  function readJson(response) {
    return response.json().catch(function () { return {}; });
  }

  function Paused() {}
  function Unreachable() {}

  // The session ({csrf, login}), or Paused (logged out) / Unreachable (no network).
  function token(urls) {
    return fetch(urls.token, { credentials: "same-origin", cache: "no-store", headers: SCRIPT }).then(
      function (response) {
        if (response.status === 401 || response.redirected) {
          throw new Paused();
        }
        if (!response.ok) {
          throw new Unreachable();
        }
        return response.json();
      },
      function () { throw new Unreachable(); }
    );
  }

  function withLang(url, lang) {
    return lang === "en" ? url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=en" : url;
  }

  function request(item, csrf, lang) {
    var headers = Object.assign({ "Content-Type": "application/json", "X-CSRF-Token": csrf }, SCRIPT);
    if (item.ifMatch !== null && item.ifMatch !== undefined) {
      headers["If-Match"] = '"' + item.ifMatch + '"';
    }
    return fetch(withLang(item.url, lang), {
      method: item.method,
      credentials: "same-origin",
      headers: headers,
      body: JSON.stringify(item.body)
    });
  }

  // What one answer does to its item; Paused or Unreachable stop the round.
  function settle(item, response) {
    return readJson(response).then(function (body) {
      if (response.ok) {
        item.state = "sent";
        item.result = body;
        item.sentAt = new Date().toISOString();
        return put(item);
      }
      if (response.status === 401) {
        throw new Paused();
      }
      if (RETRIED[response.status]) {
        return backoff(item).then(function () { throw new Unreachable(); });
      }
      item.state = "rejected";
      item.status = response.status;
      item.message = body.error || String(response.status);
      item.field = body.field || null;
      item.current = body.current || null;
      return put(item);
    });
  }

  var running = null;

  // One round: every pending item that is due (all of them when `force`), in order.
  function sync(options) {
    if (running) {
      return running;
    }
    var force = options.force;
    running = all().then(function (items) {
      var due = items.filter(function (item) {
        return item.state === "pending" && (force || item.nextAt <= Date.now());
      });
      if (!due.length) {
        return "idle";
      }
      return token(options.urls).then(function (current) {
        var own = due.filter(function (item) { return !item.login || item.login === current.login; });
        return own.reduce(function (chain, item) {
          return chain.then(function () {
            return request(item, current.csrf, options.lang).then(
              function (response) { return settle(item, response); },
              function () { return backoff(item).then(function () { throw new Unreachable(); }); }
            );
          });
        }, Promise.resolve()).then(function () { return "done"; });
      });
    }).then(function (outcome) {
      return setState("paused", false).then(function () { return outcome; });
    }, function (error) {
      if (error instanceof Paused) {
        return setState("paused", true).then(function () { return "paused"; });
      }
      if (error instanceof Unreachable) {
        return "unreachable";
      }
      throw error;
    }).finally(function () {
      running = null;
    });
    return running;
  }

  // When the next pending item is due (null when none waits).
  function nextDue(items) {
    var times = items.filter(function (i) { return i.state === "pending"; })
      .map(function (i) { return i.nextAt; });
    return times.length ? Math.max(Date.now(), Math.min.apply(null, times)) : null;
  }

  // Sent items of earlier days are forgotten (the server keeps them); the rest stays.
  function forgetBefore(day) {
    return all().then(function (items) {
      return Promise.all(items.filter(function (i) {
        return i.state === "sent" && i.day < day;
      }).map(function (i) { return remove(i.client_id); }));
    });
  }

  window.fieldQueue = {
    add: add,
    all: all,
    put: put,
    remove: remove,
    getState: getState,
    setState: setState,
    sync: sync,
    headers: SCRIPT,
    nextDue: nextDue,
    forgetBefore: forgetBefore
  };
}());
