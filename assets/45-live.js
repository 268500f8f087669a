// Live alerts: the page's one EventSource on /live/alerts (live/stream.py).
// It starts once the shell has drawn the indicator #live-status (only for a role that may read
// alerts), from the newest sequence number the page was drawn with (data-seq), so nothing that
// happened between drawing and connecting is missed. After a drop the browser reconnects by
// itself and sends Last-Event-ID; after a refusal (503 busy, 401) it is closed and we open a new
// one after a growing pause, passing the last seq we saw. Messages are buffered and handed to
// Dash in batches (one set_props on the dcc.Store #live-alerts per flush), never before Dash is
// ready: a burst of alerts is one update, and none is dropped while Dash starts.
(function () {
  "use strict";
  if (!window.EventSource || window.__onescreenLive) return;
  window.__onescreenLive = true;

  var URL_PATH = "/live/alerts";
  var STORE = "live-alerts";
  var STATUS = "live-status";
  var WINDOW = 200; // messages kept in the store (components/live_status.py: LIVE_WINDOW)
  var FLUSH_MS = 50;
  var items = [];
  var pending = false;
  var lastSeq = null;
  var source = null;
  var pause = 1000;
  var state = "connecting";

  function dashReady() {
    return !!(window.dash_clientside && typeof window.dash_clientside.set_props === "function");
  }

  function language() {
    return document.documentElement.getAttribute("lang") === "en" ? "en" : "zh";
  }

  function showState(next) {
    state = next;
    var el = document.getElementById(STATUS);
    if (!el) return;
    var lang = language();
    var text = el.getAttribute("data-" + next + "-" + lang) || next;
    var props = { children: text, className: "os-live os-live-" + next, title: el.getAttribute("data-title-" + lang) || "" };
    try {
      if (dashReady()) {
        window.dash_clientside.set_props(STATUS, props);
        return;
      }
    } catch (e) {
      /* Dash not ready: write the element itself below */
    }
    el.textContent = text;
    el.className = props.className;
  }

  function storeDrawn() {
    // a dcc.Store has no element in the page: ask Dash whether its layout holds it
    var api = window.dash_component_api;
    if (!(api && typeof api.getLayout === "function")) return true;
    try {
      return !!api.getLayout(STORE);
    } catch (e) {
      return false; // Dash 4 throws for an id its layout does not hold (yet)
    }
  }

  function flush() {
    pending = false;
    if (!dashReady() || !storeDrawn()) {
      schedule(200); // keep the buffer until Dash can take it
      return;
    }
    try {
      window.dash_clientside.set_props(STORE, { data: { seq: lastSeq, items: items.slice() } });
    } catch (e) {
      schedule(200);
    }
  }

  function schedule(ms) {
    if (pending) return;
    pending = true;
    setTimeout(flush, ms);
  }

  function take(message) {
    if (typeof message.seq === "number") lastSeq = Math.max(lastSeq || 0, message.seq);
    items.push(message);
    if (items.length > WINDOW) items.splice(0, items.length - WINDOW);
    schedule(FLUSH_MS);
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (e) {
      return null;
    }
  }

  function connect() {
    var url = URL_PATH + (lastSeq !== null ? "?last=" + encodeURIComponent(lastSeq) : "");
    source = new EventSource(url);
    source.addEventListener("open", function () {
      pause = 1000;
      showState("live");
    });
    source.addEventListener("alert", function (event) {
      var message = parse(event);
      if (message) take(message);
    });
    source.addEventListener("reset", function (event) {
      var message = parse(event);
      if (message) take({ seq: message.seq, reset: true });
    });
    source.addEventListener("status", function (event) {
      var message = parse(event);
      if (message) showState(message.bus === "down" ? "late" : "live");
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // refused (not 200): the browser gives up; we try again later from the last seq we saw
        source.close();
        setTimeout(connect, pause);
        pause = Math.min(pause * 2, 60000);
      }
      showState("reconnecting");
    });
  }

  function start() {
    var el = document.getElementById(STATUS);
    if (!el) return false;
    var drawn = el.getAttribute("data-seq");
    if (drawn !== null && /^\d+$/.test(drawn)) lastSeq = parseInt(drawn, 10);
    showState(state);
    connect();
    return true;
  }

  // The shell is drawn by Dash after this script runs; look for it until it is there (a role
  // that may not read alerts has no indicator: stop looking after a minute).
  var looked = 0;
  var look = setInterval(function () {
    looked += 1;
    if (start() || looked > 600) clearInterval(look);
  }, 100);
  // the language switch sets <html lang>: say the state in the new language
  new MutationObserver(function () {
    showState(state);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  window.addEventListener("pagehide", function () {
    if (source) source.close();
  });
})();
