/* Kaoping field pages: the inspector's visit sheet, offline first.
 *
 * Everything typed is kept on the device (IndexedDB "kaoping-field": drafts, photos
 * and an outbox of operations) as it is typed, so closing the browser loses nothing.
 * The outbox is sent in order when the network allows, through /field/api/ (the
 * portal passes each call to the inspection API as the signed-in person):
 * check-in, photos (resized on the device, SHA-256 computed here and compared with
 * what the server stored), the submission (idempotent on its client_uuid) and the
 * confirmed rectification orders (one per finding). A refusal stops that visit's
 * queue and is shown with a way to resolve it. No third-party code.
 */
(function () {
  "use strict";

  var root = document.getElementById("field-page");
  if (!root) return;
  var page = root.dataset;
  var USER = page.user;
  var SYNC_TAG = "kaoping-field-outbox";
  var textsEl = document.getElementById("field-texts");
  var T = textsEl ? textsEl.dataset : {};

  function t(key, vars) {
    var text = T[key] || key;
    Object.keys(vars || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(vars[name]));
    });
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }

  function clock(date) {
    var d = date ? new Date(date) : new Date();
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  function num(value, digits) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined,
      { maximumFractionDigits: digits === undefined ? 2 : digits });
  }

  /* ---------- IndexedDB ---------- */

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("kaoping-field", 1);
        request.onupgradeneeded = function () {
          var d = request.result;
          d.createObjectStore("drafts", { keyPath: "key" });
          d.createObjectStore("photos", { keyPath: "id" });
          d.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function store(name, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(name, mode);
        var request = work(tx.objectStore(name));
        var result;
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function get(name, key) { return store(name, "readonly", function (s) { return s.get(key); }); }
  function put(name, value) { return store(name, "readwrite", function (s) { return s.put(value); }); }
  function all(name) { return store(name, "readonly", function (s) { return s.getAll(); }); }

  function userOps() {
    return all("outbox").then(function (ops) {
      return ops.filter(function (op) { return op.user === USER; })
        .sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  function enqueue(op) {
    op.user = USER; op.status = "waiting"; op.created = new Date().toISOString();
    return put("outbox", op).then(function (result) { askBackgroundSync(); return result; });
  }

  // Background Sync, a trigger besides "online" and the 30-s round: the browser wakes the
  // service worker when it has a network again, and the worker asks the open field pages
  // to send (field-sw.js). Asked for whenever something is queued; the browser retries
  // with its own back-off while the page answers that something still waits.
  function askBackgroundSync() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.getRegistration(page.scope).then(function (registration) {
      if (registration && registration.sync) return registration.sync.register(SYNC_TAG);
    }).catch(function () { /* no Background Sync: "online" and the rounds still send */ });
  }

  /* ---------- network state, service worker ---------- */

  var signedOut = false;
  function showNet() {
    var net = document.getElementById("net");
    if (!net) return;
    net.textContent = "";
    net.className = "net " + (navigator.onLine && !signedOut ? "net-on" : "net-off");
    if (signedOut) {
      net.appendChild(document.createTextNode(t("signedOut") + " "));
      net.appendChild(el("a", { href: page.signInUrl, text: t("signIn") }));
    } else {
      net.textContent = navigator.onLine ? t("online") : t("offline");
      if (root.dataset.offlineReady) net.textContent += " " + t("readyOffline");
    }
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(page.worker, { scope: page.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var urls = [location.pathname].concat(page.assets.split(" "));
      document.querySelectorAll(".visit-card[data-url]").forEach(function (card) {
        urls.push(card.dataset.url);
      });
      if (page.page === "visit") urls.push(page.scope);
      registration.active.postMessage({ type: "keep", urls: urls });
    }).catch(function () { /* the pages still work on line */ });
  }

  navigator.serviceWorker && navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.type === "kept") {
      root.dataset.offlineReady = String(event.data.count);
      showNet();
    }
    if (event.data && event.data.type === "sync" && event.ports[0]) {
      var reply = event.ports[0];
      sync().then(userOps).then(function (ops) {
        reply.postMessage({ waiting: signedOut ? 0 : ops.filter(function (op) {
          return op.status === "waiting" && !blockedVisit(ops, op.visit); }).length });
      }, function () { reply.postMessage({ waiting: -1 }); });
    }
  });

  function blockedVisit(ops, visit) {
    return ops.some(function (op) { return op.visit === visit && op.status === "refused"; });
  }

  /* ---------- sending the outbox ---------- */

  var syncing = null;
  var hooks = { sent: function () {}, render: function () {}, progress: function () {} };

  function sync() {
    if (!syncing) {
      var run = function () { return sendAll(); };
      syncing = (navigator.locks ? navigator.locks.request("kaoping-field-sync", run) : run())
        .catch(function () {}).then(function () { syncing = null; render(); });
    }
    return syncing;
  }

  function session() {
    return fetch(page.sessionUrl, { credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 401 || response.status === 403) return null;
      if (!response.ok) throw new Error("session " + response.status);
      return response.json();
    });
  }

  function sendAll() {
    if (!navigator.onLine) { showNet(); return Promise.resolve(); }
    return session().then(function (me) {
      signedOut = !me || me.username !== USER;
      showNet();
      if (signedOut) return;
      return userOps().then(function (ops) {
        var blocked = {};
        ops.forEach(function (op) { if (op.status === "refused") blocked[op.visit] = true; });
        var waiting = ops.filter(function (op) { return op.status === "waiting"; });
        return waiting.reduce(function (chain, op) {
          return chain.then(function (go) {
            if (!go) return false;
            if (blocked[op.visit]) return true;
            return sendOne(op, me.csrf_token).then(function (outcome) {
              if (outcome === "refused") blocked[op.visit] = true;
              render();
              return outcome !== "stop";
            });
          });
        }, Promise.resolve(true));
      });
    }).catch(function () { showNet(); });
  }

  function sendOne(op, csrf) {
    var request = op.kind === "photo" ? sendPhoto(op, csrf) : postJson(op, csrf);
    return request.then(function (answer) {
      if (answer.status === 401) { signedOut = true; showNet(); return "stop"; }
      if (answer.status >= 200 && answer.status < 300) {
        op.status = "sent"; op.sentAt = new Date().toISOString(); op.error = null;
        op.result = answer.body;
        if (op.kind === "photo" && (answer.body.sha256 !== op.sha256 ||
                                    answer.body.status !== "received")) {
          op.status = "refused";
          op.error = { status: 0, message: t("photoMismatch"), errors: {} };
        }
        return put("outbox", op).then(function () { return hooks.sent(op); })
          .then(function () { return op.status === "sent" ? "sent" : "refused"; });
      }
      if (answer.status === 0 || answer.status >= 500 || answer.status === 408 ||
          answer.status === 429) {
        return "stop";  // the network or the server: try again later, in the same order
      }
      op.status = "refused";
      op.error = { status: answer.status, message: answer.body.message || "",
                   errors: answer.body.errors || {} };
      return put("outbox", op).then(function () { return "refused"; });
    }, function () { showNet(); return "stop"; });
  }

  var PATHS = { checkin: "check-in", submit: "submit", amend: "amend", order: "orders" };

  function postJson(op, csrf) {
    return fetch(page.api + op.visit + "/" + PATHS[op.kind], {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": csrf },
      body: JSON.stringify(op.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function sendPhoto(op, csrf) {
    return get("photos", op.photo).then(function (photo) {
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        var query = "?sha256=" + photo.sha256 + "&filename=" + encodeURIComponent(photo.filename) +
          (photo.item ? "&item_id=" + encodeURIComponent(photo.item) : "");
        xhr.open("POST", page.api + op.visit + "/photos" + query);
        xhr.setRequestHeader("Content-Type", photo.type);
        xhr.setRequestHeader("X-CSRFToken", csrf);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable) hooks.progress(photo.id, event.loaded / event.total);
        };
        xhr.onload = function () {
          var body = {};
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
          resolve({ status: xhr.status, body: body });
        };
        xhr.onerror = xhr.ontimeout = function () { reject(new Error("network")); };
        xhr.send(photo.blob);
      });
    });
  }

  /* ---------- the sync list ---------- */

  function opTitle(op) {
    var title = t("kind" + op.kind.charAt(0).toUpperCase() + op.kind.slice(1));
    if (page.page === "index") title = op.label + " · " + title;
    if (op.kind === "photo") title += " · " + (op.itemLabel || "") + " · " + op.sha256.slice(0, 12) + "…";
    if (op.kind === "order") {
      title += " · " + t("orderLine", { ref: op.body.finding_ref, deadline: op.body.deadline });
      if (op.result && op.result.id) {
        title += " · " + (op.result.already ? t("orderExisting", { id: op.result.id })
          : t("orderIssued", { id: op.result.id }));
      }
    }
    return title;
  }

  function render() {
    var list = document.getElementById("sync-list");
    if (!list) return Promise.resolve();
    return userOps().then(function (ops) {
      if (page.page === "visit") {
        ops = ops.filter(function (op) { return String(op.visit) === form.dataset.visit; });
      }
      list.textContent = "";
      var counts = { waiting: 0, sent: 0, refused: 0, discarded: 0 };
      ops.forEach(function (op) {
        counts[op.status] += 1;
        var item = el("li", { className: "sync-item sync-" + op.status, "data-seq": op.seq,
                              "data-kind": op.kind, "data-status": op.status }, [
          el("span", { className: "sync-title", text: opTitle(op) }),
          el("span", { className: "sync-state", text: t("state" + op.status.charAt(0).toUpperCase()
            + op.status.slice(1)) + (op.sentAt ? " · " + clock(op.sentAt) : "") })
        ]);
        if (op.status === "refused") item.appendChild(refusal(op));
        list.appendChild(item);
      });
      var summary = document.getElementById("sync-summary");
      summary.textContent = ops.length ? t("summary", counts) : t("nothing");
      hooks.render(ops);
    });
  }

  function refusal(op) {
    var box = el("div", { className: "refusal" }, [
      el("p", { className: "error", text: (op.error.status ? op.error.status + " · " : "") +
        op.error.message })
    ]);
    Object.keys(op.error.errors || {}).forEach(function (field) {
      box.appendChild(el("p", { className: "error-detail",
        text: field + ": " + [].concat(op.error.errors[field]).join("; ") }));
    });
    var actions = el("div", { className: "row-actions" });
    var isSubmission = op.kind === "submit" || op.kind === "amend";
    if (isSubmission && op.error.status === 409) {
      box.appendChild(el("p", { text: t("conflict") }));
      var id = "amend-" + op.seq;
      actions.appendChild(el("label", { for: id, text: t("amendReason") }));
      var reason = el("textarea", { id: id, rows: "2", className: "amend-reason" });
      actions.appendChild(reason);
      actions.appendChild(button(t("amend"), "resolve-amend", function () {
        if (!reason.value.trim()) { reason.focus(); return; }
        op.kind = "amend";
        op.body = Object.assign({}, op.body, { client_uuid: uuid(), reason: reason.value.trim() });
        retry(op);
      }));
    }
    if (!isSubmission || op.error.status !== 409) {
      actions.appendChild(button(t("retry"), "resolve-retry", function () { retry(op); }));
    }
    if (isSubmission && page.page === "visit") {
      actions.appendChild(button(t("edit"), "resolve-edit", function () { hooks.edit(op); }));
    } else if (!isSubmission) {
      actions.appendChild(button(t("discard"), "resolve-discard", function () {
        op.status = "discarded";
        put("outbox", op).then(render).then(sync);
      }));
    }
    box.appendChild(actions);
    return box;
  }

  function button(text, className, action) {
    var b = el("button", { type: "button", className: "button button-small " + className,
                           text: text });
    b.addEventListener("click", action);
    return b;
  }

  function retry(op) {
    op.status = "waiting"; op.error = null;
    put("outbox", op).then(render).then(sync);
  }

  /* ---------- the visit sheet ---------- */

  var form = document.getElementById("visit-form");
  var V = form ? form.dataset : null;
  var draft = null;
  var KEY = form ? USER + ":" + V.visit : null;
  var saving = Promise.resolve();

  function save() {
    draft.savedAt = new Date().toISOString();
    var copy = JSON.parse(JSON.stringify(draft));
    saving = saving.then(function () { return put("drafts", copy); }).then(function () {
      var state = document.getElementById("submit-state");
      if (copy.state === "draft") state.textContent = t("saved", { time: clock(copy.savedAt) });
    });
    return saving;
  }

  function controls() {
    // Not the file inputs and hidden fields the page has for sending it as a form.
    return Array.from(form.querySelectorAll(
      "input[name]:not([type=file]):not([type=hidden]), textarea[name], select[name]"));
  }

  function readFields() {
    var fields = {};
    controls().forEach(function (c) {
      if (c.type === "radio") { if (c.checked) fields[c.name] = c.value; }
      else if (c.type === "checkbox") fields[c.name] = c.checked;
      else fields[c.name] = c.value;
    });
    return fields;
  }

  function writeFields(fields) {
    controls().forEach(function (c) {
      if (!(c.name in fields)) return;
      if (c.type === "radio") c.checked = fields[c.name] === c.value;
      else if (c.type === "checkbox") c.checked = !!fields[c.name];
      else c.value = fields[c.name];
    });
  }

  // What was typed or chosen in the server-rendered sheet before this script arrived
  // (a slow first load): the controls whose value is no longer the one the page came with.
  function typedBeforeScript() {
    var now = readFields();
    var typed = {};
    controls().forEach(function (c) {
      var changed = c.type === "radio" || c.type === "checkbox" ? c.checked !== c.defaultChecked
        : c.tagName === "SELECT" ? Array.from(c.options).some(function (o) {
          return o.selected !== o.defaultSelected; })
        : c.value !== c.defaultValue;
      if (changed && c.name in now) typed[c.name] = now[c.name];
    });
    return typed;
  }

  function serverCheckin() {
    try { return JSON.parse(V.checkin); } catch (e) { return null; }
  }

  function checkedIn() { return !!(draft.checkin || draft.serverCheckin || serverCheckin()); }

  function haversine(lat1, lon1, lat2, lon2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) + Math.cos(lat1 * rad) *
      Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  function flagsText(flags) {
    if (!flags || !flags.length) return t("noFlags");
    return t("flags", { flags: flags.map(function (f) {
      return T["flag" + f.charAt(0).toUpperCase() + f.slice(1)] || f;
    }).join(", ") });
  }

  function showCheckin() {
    var box = document.getElementById("checkin-state");
    box.textContent = "";
    var server = draft.serverCheckin || serverCheckin();
    var local = draft.checkin;
    if (local && local.fix.provider !== "manual" || local && local.fix.accuracy_m < 100000) {
      box.appendChild(el("p", { text: t("fix", { lat: local.fix.lat.toFixed(5),
        lon: local.fix.lon.toFixed(5), acc: num(local.fix.accuracy_m, 0) }) }));
    }
    if (local && local.distance !== null && local.distance !== undefined && !server) {
      box.appendChild(el("p", { text: t("distance", { m: num(local.distance, 0) }) }));
    }
    if (local && local.reason) {
      box.appendChild(el("p", { text: t("manualNote", { reason: local.reason }) }));
    }
    if (server) {
      box.appendChild(el("p", { className: "checkin-server", text: t("checkedInServer", {
        time: clock(server.at) }) + " " + (server.distance_m === null ? t("noRegistered")
        : t("serverDistance", { m: num(server.distance_m, 0) })) }));
      box.appendChild(el("p", { className: "checkin-flags" + (server.flags && server.flags.length
        ? " flag" : ""), text: flagsText(server.flags) }));
    } else if (local) {
      box.appendChild(el("p", { className: "checkin-waiting",
                                text: t("checkedInLocal", { time: clock(local.at) }) }));
    }
    var done = checkedIn();
    document.getElementById("checkin-button").hidden = done;
    if (done) document.getElementById("manual").hidden = true;
    form.querySelectorAll(".photo-input").forEach(function (input) {
      input.disabled = !done || draft.state !== "draft";
    });
    form.dataset.checkedIn = done ? "true" : "false";
  }

  function locate() {
    var box = document.getElementById("checkin-state");
    box.textContent = t("locating");
    if (!navigator.geolocation) { askReason(null, t("refused")); return; }
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      var fix = { lat: c.latitude, lon: c.longitude, accuracy_m: c.accuracy,
                  provider: "gps", mock_location: false, device_time: new Date().toISOString() };
      if (c.accuracy > Number(V.maxAccuracy)) {
        askReason(fix, t("poor", { acc: num(c.accuracy, 0) }));
        return;
      }
      checkIn(fix, null);
    }, function () { askReason(null, t("refused")); },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  }

  function registered() {
    return V.lat === "" ? null : { lat: Number(V.lat), lon: Number(V.lon) };
  }

  function askReason(fix, message) {
    var box = document.getElementById("checkin-state");
    box.textContent = message;
    if (fix) {
      box.appendChild(el("p", { text: t("fix", { lat: fix.lat.toFixed(5), lon: fix.lon.toFixed(5),
        acc: num(fix.accuracy_m, 0) }) }));
    }
    pendingFix = fix;
    document.getElementById("manual").hidden = false;
    document.getElementById("manual-reason").focus();
  }

  var pendingFix = null;
  function manualCheckIn() {
    var reason = document.getElementById("manual-reason").value.trim();
    var error = document.getElementById("manual-error");
    if (!reason) { error.textContent = t("needReason"); error.hidden = false; return; }
    error.hidden = true;
    // Without a fix the check-in carries the registered place, "manual", and an accuracy
    // of 100 km: the inspection service flags it (low accuracy) rather than trust it.
    var place = registered() || { lat: 0, lon: 0 };
    var fix = pendingFix ? Object.assign({}, pendingFix, { provider: "manual" }) : {
      lat: place.lat, lon: place.lon, accuracy_m: 100000, provider: "manual",
      mock_location: false, device_time: new Date().toISOString() };
    checkIn(fix, reason);
  }

  function checkIn(fix, reason) {
    var place = registered();
    draft.checkin = { fix: fix, reason: reason, at: new Date().toISOString(),
                      distance: place ? haversine(fix.lat, fix.lon, place.lat, place.lon) : null };
    return save().then(function () {
      return enqueue({ visit: Number(V.visit), kind: "checkin", body: fix, label: V.unitLabel });
    }).then(function () { showCheckin(); render(); sync(); });
  }

  /* photos */

  function resize(file, longEdge) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, longEdge / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close && bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve({ blob: blob, width: canvas.width, height: canvas.height });
        }, "image/jpeg", 0.85);
      });
    });
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function addPhoto(input) {
    var file = input.files && input.files[0];
    if (!file) return;
    var item = input.dataset.item;
    var list = form.querySelector('.photos[data-item="' + CSS.escape(item) + '"]');
    var note = el("li", { className: "photo-preparing", text: t("photoPreparing") });
    list.appendChild(note);
    resize(file, Number(V.longEdge)).then(function (image) {
      return image.blob.arrayBuffer().then(function (bytes) {
        return crypto.subtle.digest("SHA-256", bytes);
      }).then(function (digest) {
        var photo = { id: uuid(), user: USER, visit: Number(V.visit), item: item,
                      blob: image.blob, type: "image/jpeg", size: image.blob.size,
                      width: image.width, height: image.height, sha256: hex(digest),
                      filename: item.replace(/[^A-Za-z0-9_.-]/g, "_") + "-" + Date.now() + ".jpg" };
        return put("photos", photo).then(function () {
          return enqueue({ visit: photo.visit, kind: "photo", photo: photo.id, sha256: photo.sha256,
                           item: item, itemLabel: itemLabel(item), label: V.unitLabel });
        });
      });
    }).then(function () {
      input.value = "";
      return render();
    }).then(sync, function () {
      note.textContent = t("photoFailed");
    });
  }

  function itemLabel(item) {
    var fs = form.querySelector('.item[data-item="' + CSS.escape(item) + '"]');
    return fs ? fs.dataset.label : item;
  }

  var thumbnails = {};
  function thumbnail(photo) {
    if (!thumbnails[photo.id]) thumbnails[photo.id] = URL.createObjectURL(photo.blob);
    return thumbnails[photo.id];
  }

  function showPhotos(ops) {
    var photoOps = ops.filter(function (op) { return op.kind === "photo" && op.status !== "discarded"; });
    return Promise.all(photoOps.map(function (op) { return get("photos", op.photo); }))
      .then(function (photos) {
        form.querySelectorAll(".photos").forEach(function (list) { list.textContent = ""; });
        photoOps.forEach(function (op, index) {
          var photo = photos[index];
          var list = form.querySelector('.photos[data-item="' + CSS.escape(op.item) + '"]');
          if (!photo || !list) return;
          var state = op.status === "sent" ? t("photoStored") : op.status === "refused"
            ? t("stateRefused") : t("stateWaiting");
          list.appendChild(el("li", { className: "photo photo-" + op.status,
                                      "data-sha256": photo.sha256, "data-status": op.status }, [
            el("img", { alt: "", width: "64", height: "48", src: thumbnail(photo) }),
            el("span", { className: "photo-meta", text: t("photoLine", { w: photo.width,
              h: photo.height, kb: num(photo.size / 1024, 0), sha: photo.sha256 }) }),
            el("progress", { max: "1", value: op.status === "sent" ? "1" : "0",
                             "data-photo": photo.id }),
            el("span", { className: "photo-state", text: state })
          ]));
        });
      });
  }

  function progress(photoId, fraction) {
    var bar = form && form.querySelector('progress[data-photo="' + photoId + '"]');
    if (!bar) return;
    bar.value = fraction;
    var state = bar.nextElementSibling;
    if (state) state.textContent = t("photoSending", { pct: Math.round(fraction * 100) + " %" });
  }

  /* measurement: the discrepancy as the inspector types */

  function showDiscrepancy(fieldset) {
    var out = fieldset.querySelector(".discrepancy");
    var input = fieldset.querySelector('input[name^="value:"]');
    var reported = draft.reported && fieldset.dataset.item in draft.reported
      ? draft.reported[fieldset.dataset.item] : fieldset.dataset.reported;
    out.textContent = "";
    out.className = "discrepancy";
    if (input.value === "" || reported === "" || reported === undefined || reported === null) return;
    var value = Number(input.value), self = Number(reported);
    var tolerance = Number(fieldset.dataset.tolerance);
    var allowed = fieldset.dataset.toleranceKind === "relative" ? tolerance * Math.abs(self) : tolerance;
    var diff = value - self;
    var pct = self === 0 ? "–" : (diff >= 0 ? "+" : "") + num(100 * diff / Math.abs(self), 1) + " %";
    var outside = Math.abs(diff) > allowed + 1e-12;
    out.textContent = t(outside ? "diffOutside" : "diffWithin", {
      diff: (diff >= 0 ? "+" : "") + num(diff) + " " + fieldset.dataset.uom, pct: pct });
    out.className = "discrepancy " + (outside ? "discrepancy-out" : "discrepancy-in");
  }

  function showReported() {
    if (!draft.reported) return;
    form.querySelectorAll('.item[data-type="measurement"]').forEach(function (fs) {
      var value = draft.reported[fs.dataset.item];
      fs.dataset.reported = value === undefined ? "" : value;
      var line = fs.querySelector(".reported");
      var tolerance = line.querySelector(".tolerance");
      line.textContent = (value === undefined ? t("reportedNone")
        : t("reported", { value: num(value) + " " + fs.dataset.uom })) + " ";
      if (tolerance) line.appendChild(tolerance);
      showDiscrepancy(fs);
    });
  }

  /* findings and orders */

  function addFinding(item) {
    var description = document.getElementById("finding-description");
    var error = document.getElementById("finding-error");
    if (!description.value.trim()) {
      error.textContent = t("needDescription"); error.hidden = false; description.focus(); return;
    }
    error.hidden = true;
    var severity = document.getElementById("finding-severity").value;
    var ref = "f" + draft.nextRef++;
    draft.findings.push({ ref: ref, item: item || null, severity: severity,
                          description: description.value.trim() });
    if (severity === "critical" || severity === "major") {
      var days = Number(severity === "critical" ? V.criticalDays : V.majorDays);
      var deadline = new Date(V.today + "T00:00:00Z");
      deadline.setUTCDate(deadline.getUTCDate() + days);
      draft.orders[ref] = { confirmed: false, deadline: deadline.toISOString().slice(0, 10),
                            unit: V.unit, instructions: description.value.trim() };
    }
    description.value = "";
    save();
    showFindings();
  }

  function showFindings() {
    var list = document.getElementById("finding-list");
    var orders = document.getElementById("order-list");
    list.textContent = ""; orders.textContent = "";
    var locked = draft.state !== "draft";
    if (!draft.findings.length) list.appendChild(el("li", { className: "meta", text: t("noFindings") }));
    draft.findings.forEach(function (finding, index) {
      var li = el("li", { className: "finding sev-" + finding.severity, "data-ref": finding.ref }, [
        el("strong", { text: finding.ref + " · " + t("sev" + finding.severity.charAt(0).toUpperCase()
          + finding.severity.slice(1)) + " · " + (finding.item ? itemLabel(finding.item)
          : t("wholeVisit")) }),
        el("span", { text: finding.description })
      ]);
      if (!locked) {
        li.appendChild(button(t("remove"), "button-secondary remove-finding", function () {
          draft.findings.splice(index, 1); delete draft.orders[finding.ref];
          save(); showFindings();
        }));
      }
      list.appendChild(li);
    });
    var proposed = draft.findings.filter(function (f) { return draft.orders[f.ref]; });
    if (!proposed.length) orders.appendChild(el("p", { className: "meta", text: t("noOrders") }));
    proposed.forEach(function (finding) {
      var order = draft.orders[finding.ref];
      var id = "order-" + finding.ref;
      var box = el("fieldset", { className: "item order", "data-ref": finding.ref }, [
        el("legend", { text: t("orderHeading", { ref: finding.ref, severity:
          t("sev" + finding.severity.charAt(0).toUpperCase() + finding.severity.slice(1)) }) })
      ]);
      var confirm = el("input", { type: "checkbox", id: id + "-confirm", "data-field": "confirmed" });
      confirm.checked = order.confirmed;
      box.appendChild(el("label", { className: "choice", for: id + "-confirm" },
        [confirm, document.createTextNode(" " + t("orderConfirm"))]));
      [["deadline", "date", t("orderDeadline")], ["unit", "text", t("orderUnit")]].forEach(function (f) {
        box.appendChild(el("label", { for: id + "-" + f[0], text: f[2] }));
        var input = el("input", { type: f[1], id: id + "-" + f[0], "data-field": f[0] });
        input.value = order[f[0]];
        box.appendChild(input);
      });
      box.appendChild(el("label", { for: id + "-instructions", text: t("orderInstructions") }));
      var text = el("textarea", { id: id + "-instructions", rows: "2", "data-field": "instructions" });
      text.value = order.instructions;
      box.appendChild(text);
      box.appendChild(el("p", { className: "error order-error", hidden: "hidden" }));
      box.querySelectorAll("[data-field]").forEach(function (input) {
        input.disabled = locked;
        input.addEventListener(input.type === "checkbox" ? "change" : "input", function () {
          order[input.dataset.field] = input.type === "checkbox" ? input.checked : input.value;
          save();
        });
      });
      orders.appendChild(box);
    });
  }

  /* submit */

  function itemAnswer(fs, fields, photos) {
    var id = fs.dataset.item, type = fs.dataset.type;
    var answer = { item_id: id };
    var note = (fields["note:" + id] || "").trim();
    var problem = null;
    var result = fields["result:" + id] || null;
    if (type === "pass_fail") {
      answer.result = result;
      if (!result) problem = t("needResult");
    } else if (type === "points") {
      if (fields["na:" + id]) answer.result = "na";
      else if (fields["points:" + id] === "") problem = t("needPoints", { max: fs.dataset.maxPoints });
      else {
        answer.points = Number(fields["points:" + id]);
        if (!(answer.points >= 0 && answer.points <= Number(fs.dataset.maxPoints))) {
          problem = t("needPoints", { max: fs.dataset.maxPoints });
        }
      }
    } else if (type === "measurement") {
      if (result === "na") answer.result = "na";
      else if (fields["value:" + id] === "") problem = t("needValue");
      else {
        answer.value = Number(fields["value:" + id]);
        if (result) answer.result = result;
      }
    } else {
      answer.text = fields["text:" + id] || null;
    }
    if (type !== "text" && note) answer.text = note;
    if (!problem && fs.dataset.photoRequired === "true" && answer.result !== "na" &&
        !photos[id]) {
      problem = t("needPhoto");
    }
    return { answer: answer, problem: problem };
  }

  function submitVisit(event) {
    event.preventDefault();
    if (draft.state !== "draft") return;
    var fields = readFields();
    var problems = [];
    var answers = [];
    return userOps().then(function (ops) {
      var photos = {};
      ops.forEach(function (op) {
        if (op.kind === "photo" && String(op.visit) === V.visit && op.status !== "discarded") {
          photos[op.item] = true;
        }
      });
      form.querySelectorAll("#items .item").forEach(function (fs) {
        var out = itemAnswer(fs, fields, photos);
        var error = fs.querySelector(".item-error");
        error.hidden = !out.problem;
        error.textContent = out.problem || "";
        fs.classList.toggle("has-error", !!out.problem);
        if (out.problem) problems.push(fs);
        answers.push(out.answer);
      });
      var orderBoxes = Array.from(document.querySelectorAll("#order-list .order"));
      orderBoxes.forEach(function (box) {
        var order = draft.orders[box.dataset.ref];
        var error = box.querySelector(".order-error");
        var missing = order.confirmed && (!order.deadline ? t("needDeadline")
          : !order.instructions.trim() ? t("needInstructions") : null);
        error.hidden = !missing; error.textContent = missing || "";
        if (missing) problems.push(box);
      });
      var reasonBox = document.getElementById("amend-reason");
      if (reasonBox && !reasonBox.value.trim()) problems.push(reasonBox);
      var summary = document.getElementById("problems");
      if (!checkedIn()) problems.unshift(document.getElementById("checkin"));
      if (problems.length) {
        summary.textContent = (checkedIn() ? "" : t("needCheckin") + " ") +
          t("problems", { n: problems.length });
        summary.hidden = false;
        problems[0].scrollIntoView({ block: "center" });
        var focusable = problems[0].querySelector("input, textarea, button") || problems[0];
        focusable.focus && focusable.focus();
        return;
      }
      summary.hidden = true;
      var notes = [fields.notes || ""];
      if (draft.checkin && draft.checkin.reason) {
        notes.unshift(t("manualNote", { reason: draft.checkin.reason }));
      }
      draft.clientUuid = draft.clientUuid || uuid();
      var body = { client_uuid: draft.clientUuid, answers: answers,
                   findings: draft.findings.map(function (f) {
                     return { ref: f.ref, severity: f.severity, item_id: f.item,
                              description: f.description };
                   }), notes: notes.filter(Boolean).join("\n") || null };
      var kind = V.status === "returned" ? "amend" : "submit";
      if (kind === "amend") body.reason = fields.reason.trim();
      draft.state = "queued";
      return save().then(function () {
        return enqueue({ visit: Number(V.visit), kind: kind, body: body, label: V.unitLabel });
      }).then(function () {
        return draft.findings.reduce(function (chain, finding) {
          var order = draft.orders[finding.ref];
          if (!order || !order.confirmed) return chain;
          return chain.then(function () {
            return enqueue({ visit: Number(V.visit), kind: "order", label: V.unitLabel, body: {
              finding_ref: finding.ref, deadline: order.deadline, unit: order.unit,
              instructions: order.instructions.trim() } });
          });
        }, Promise.resolve());
      }).then(function () { lock(); render(); sync(); });
    });
  }

  function lock() {
    var locked = draft.state !== "draft";
    controls().forEach(function (c) { c.disabled = locked; });
    form.querySelectorAll(".add-finding, #finding-add, #submit-button, #finding-new select, " +
                          "#finding-new textarea").forEach(function (b) { b.disabled = locked; });
    form.querySelectorAll(".photo-input").forEach(function (input) {
      input.disabled = locked || !checkedIn();
    });
    var state = document.getElementById("submit-state");
    state.textContent = draft.state === "queued" ? t("queued")
      : draft.state === "sent" ? t("sentVisit", { version: draft.version }) : "";
    form.dataset.state = draft.state;
    showFindings();
  }

  function edit(op) {
    op.status = "discarded";
    return put("outbox", op).then(userOps).then(function (ops) {
      var later = ops.filter(function (o) {
        return o.visit === op.visit && o.seq > op.seq && o.status !== "sent";
      });
      return Promise.all(later.map(function (o) { o.status = "discarded"; return put("outbox", o); }));
    }).then(function () {
      draft.state = "draft"; draft.clientUuid = null;
      return save();
    }).then(function () { lock(); render(); });
  }

  function afterSent(op) {
    if (String(op.visit) !== V.visit) return;
    if (op.kind === "checkin") {
      draft.serverCheckin = op.result.checkin;
      draft.reported = (op.result.self_reports || {}).values || {};
      V.status = op.result.status === "returned" ? "returned" : V.status;
      showCheckin(); showReported();
    } else if (op.kind === "submit" || op.kind === "amend") {
      draft.state = "sent"; draft.version = op.result.version && op.result.version.version;
      lock();
    }
    return save();
  }

  // The page works as a plain form until this script runs (field_form.py); from here the
  // script sends everything: the form-only parts go, the manual check-in waits for a
  // refused or poor location, and its button no longer submits the form.
  function takeOverForm() {
    form.querySelectorAll(".form-only").forEach(function (part) { part.remove(); });
    var manual = document.getElementById("manual");
    var button = document.getElementById("manual-button");
    button.type = "button";
    button.removeAttribute("name");
    if (!document.getElementById("manual-reason").value.trim()) manual.hidden = true;
  }

  function initVisit() {
    return get("drafts", KEY).then(function (stored) {
      draft = stored || { key: KEY, user: USER, visit: Number(V.visit), fields: {}, findings: [],
                          orders: {}, nextRef: 1, checkin: null, state: "draft" };
      // A visit submitted elsewhere (or through the form, before this script) is shown
      // as sent, not as a sheet to fill again.
      if (!stored && V.open !== "true") draft.state = "sent";
      takeOverForm();
      // What was typed before this script arrived (a slow first load) is kept too, over
      // what this phone had kept of the visit, unless that was already submitted.
      var early = typedBeforeScript();
      if (stored && draft.state === "draft") {
        Object.keys(early).forEach(function (name) { draft.fields[name] = early[name]; });
      }
      if (stored) writeFields(draft.fields);
      else draft.fields = readFields();
      if (!stored || Object.keys(early).length) save();
      showCheckin();
      showReported();
      form.querySelectorAll('.item[data-type="measurement"]').forEach(showDiscrepancy);
      lock();
      form.addEventListener("input", function (event) {
        if (!event.target.name || draft.state !== "draft") return;
        draft.fields = readFields();
        save();
        var fs = event.target.closest('.item[data-type="measurement"]');
        if (fs) showDiscrepancy(fs);
      });
      form.addEventListener("change", function (event) {
        if (event.target.classList.contains("photo-input")) { addPhoto(event.target); return; }
        if (!event.target.name || draft.state !== "draft") return;
        draft.fields = readFields();
        save();
      });
      form.addEventListener("submit", submitVisit);
      document.getElementById("checkin-button").addEventListener("click", locate);
      document.getElementById("checkin-button").disabled = false;
      document.getElementById("manual-button").addEventListener("click", manualCheckIn);
      document.getElementById("finding-add").addEventListener("click", function () {
        addFinding(document.getElementById("finding-item").value);
      });
      form.querySelectorAll(".add-finding").forEach(function (b) {
        b.addEventListener("click", function () {
          document.getElementById("finding-item").value = b.dataset.item;
          document.getElementById("finding-new").scrollIntoView({ block: "start" });
          document.getElementById("finding-description").focus();
        });
      });
      hooks.sent = afterSent;
      hooks.render = showPhotos;
      hooks.progress = progress;
      hooks.edit = edit;
      // What was sent from another field page (today's work) meanwhile.
      return userOps().then(function (ops) {
        return ops.filter(function (op) {
          return op.status === "sent" && String(op.visit) === V.visit;
        }).reduce(function (chain, op) {
          return chain.then(function () { return afterSent(op); });
        }, Promise.resolve());
      });
    });
  }

  /* ---------- start ---------- */

  window.addEventListener("online", function () { showNet(); sync(); });
  window.addEventListener("offline", showNet);
  var sendNow = document.getElementById("sync-now");
  if (sendNow) {
    sendNow.addEventListener("click", function () { sync(); });
    sendNow.disabled = false;
  }
  showNet();
  registerWorker();
  (form ? initVisit() : Promise.resolve()).then(render).then(function () {
    document.documentElement.dataset.fieldReady = "true";
    if (window.performance && performance.mark) performance.mark("field-ready");
    sync();
    setInterval(function () { if (navigator.onLine) sync(); }, 30000);
  });
})();
