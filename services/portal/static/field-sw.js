/* Kaoping field pages' service worker (served as /field/sw.js, scope /field/).
 *
 * Keeps the field pages and their three files so that they open without a network:
 * pages network first (a slow network falls back to the kept copy after a few
 * seconds), the portal's own CSS and script from the cache while a fresh copy is
 * fetched. The page asks it to keep the day's visit pages ("keep" message). Nothing
 * that is sent (POST) goes through here: the page's outbox sends it, also when this
 * worker is woken by Background Sync ("sync" message to the open field pages).
 */
"use strict";

var CACHE = "kaoping-field-v1";
var PAGE_TIMEOUT_MS = 4000;
var SYNC_TAG = "kaoping-field-outbox";
var ASK_TIMEOUT_MS = 30000;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("kaoping-field-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function keep(urls) {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
        if (keepable(response)) return cache.put(url, response).then(function () { return 1; });
        return 0;
      }).catch(function () { return 0; });
    }));
  }).then(function (kept) {
    return kept.reduce(function (a, b) { return a + b; }, 0);
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) return;
  var urls = data.urls.filter(function (url) {
    return new URL(url, self.location.href).origin === self.location.origin;
  });
  event.waitUntil(keep(urls).then(function (count) {
    if (event.source) event.source.postMessage({ type: "kept", count: count });
  }));
});

function page(request) {
  return caches.open(CACHE).then(function (cache) {
    var network = fetch(request).then(function (response) {
      if (keepable(response)) cache.put(request, response.clone());
      return response;
    });
    var late = new Promise(function (resolve) {
      setTimeout(function () { resolve(null); }, PAGE_TIMEOUT_MS);
    });
    var fallback = function () {
      return cache.match(request, { ignoreSearch: true, ignoreVary: true });
    };
    // A page that ends at the sign-in page (a session that ended) or a network that
    // fails shows the kept copy: the work goes on, the page says to sign in to send.
    return Promise.race([network.then(function (response) {
      if (response.type === "opaqueredirect" || response.redirected) {
        return fallback().then(function (kept) { return kept || response; });
      }
      return response;
    }), late]).then(function (response) {
      if (response) return response;
      return fallback().then(function (kept) { return kept || network; });
    }).catch(function () {
      return fallback().then(function (kept) {
        return kept || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
      });
    });
  });
}

function asset(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (keepable(response)) cache.put(request, response.clone());
        return response;
      });
      return kept || fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/field/api/") === 0 || url.pathname === "/field/sw.js") return;
  if (url.pathname.indexOf("/field/") === 0) {
    event.respondWith(page(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(asset(request));
  }
});

// Background Sync: when the browser has a network again it wakes the worker with the tag
// the pages register when they queue something. The worker asks each open field page to
// send (the page holds the sender, the CSRF token and the Web Lock) and fails the event
// while something still waits, so that the browser tries again later with its own
// back-off. With no field page open nothing is sent here: the page sends when it opens.
function ask(client) {
  return new Promise(function (resolve) {
    var channel = new MessageChannel();
    var timer = setTimeout(function () { resolve({ waiting: -1 }); }, ASK_TIMEOUT_MS);
    channel.port1.onmessage = function (event) {
      clearTimeout(timer);
      resolve(event.data || { waiting: -1 });
    };
    client.postMessage({ type: "sync" }, [channel.port2]);
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (pages) {
    return Promise.all(pages.map(ask));
  }).then(function (answers) {
    if (answers.some(function (answer) { return answer.waiting !== 0; })) {
      throw new Error("the outbox still waits");
    }
  }));
});
