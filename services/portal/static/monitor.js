// The telephone campaign's live monitor: asks the portal for the numbers every few
// seconds and writes them into the table the server rendered (the page never reloads).
// Our own file: the portal's CSP forbids inline script.
(function () {
  "use strict";
  var status = document.getElementById("monitor-status");
  var table = document.getElementById("monitor");
  if (!status || !table) { return; }
  var url = status.getAttribute("data-url");
  var PERIOD_MS = 2000;
  var DONE = { cancelled: true, finished: true };
  // A page left alone stops asking (so that it does not keep the session alive past
  // the portal's idle timeout); any key, click or scroll makes it ask again.
  var IDLE_MS = Number(status.getAttribute("data-idle-ms")) || 25 * 60 * 1000;
  var lastInput = Date.now();
  var waiting = false;
  ["keydown", "pointerdown", "scroll", "touchstart"].forEach(function (kind) {
    window.addEventListener(kind, function () {
      lastInput = Date.now();
      if (waiting) { waiting = false; tick(); }
    }, { passive: true });
  });

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function fillRow(row, cells) {
    var tds = row.querySelectorAll("td[data-key]");
    for (var i = 0; i < tds.length; i += 1) {
      var text = cells[tds[i].getAttribute("data-key")];
      if (text !== undefined && tds[i].textContent !== text) { tds[i].textContent = text; }
    }
  }

  function addRow(township) {
    var template = table.querySelector("tfoot tr");
    var row = template.cloneNode(true);
    row.setAttribute("data-township", township);
    row.querySelector("th").textContent = township;
    table.querySelector("tbody").appendChild(row);
    return row;
  }

  function show(data) {
    var state = document.getElementById("state");
    if (state) { state.setAttribute("data-state", data.state); }
    setText("state", data.state_label);
    setText("in-progress", data.in_progress);
    setText("pending", data.pending);
    Object.keys(data.townships).forEach(function (township) {
      var row = table.querySelector('tbody tr[data-township="' + CSS.escape(township) + '"]');
      fillRow(row || addRow(township), data.townships[township]);
    });
    fillRow(table.querySelector("tfoot tr"), data.totals);
    if (DONE[data.state]) {
      // a finished or cancelled campaign takes no more actions, numbers or settings
      var stale = document.querySelectorAll("[data-while-live]");
      for (var i = 0; i < stale.length; i += 1) { stale[i].hidden = true; }
    }
    table.setAttribute("data-refreshed", String(Date.now()));
    status.textContent = status.getAttribute("data-updated") + " " +
      new Date().toLocaleTimeString(document.documentElement.lang || undefined);
    return data.state;
  }

  function tick() {
    if (Date.now() - lastInput > IDLE_MS) {
      waiting = true;
      status.textContent = status.getAttribute("data-idle");
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") !== 0) {
          status.textContent = status.getAttribute("data-signed-out");
          return "stop";
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json().then(show);
      })
      .then(function (state) {
        if (state !== "stop" && !DONE[state]) { window.setTimeout(tick, PERIOD_MS); }
      })
      .catch(function () {
        status.textContent = status.getAttribute("data-stale");
        window.setTimeout(tick, PERIOD_MS * 2);
      });
  }

  window.setTimeout(tick, PERIOD_MS);
}());
