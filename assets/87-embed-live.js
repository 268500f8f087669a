// An embedded live panel's push stream (live/embed_stream.py), inside another portal's iframe.
// Only under /embed/<token> (the main app loads this file too and leaves at once), and only once
// the panel drawn is a live one (data-live on .os-embed-panel: the alert strip). The token is the
// page's own address; the stream at /embed/_live/<token> announces each alert event of the
// token's scope ({seq, action}, nothing of the alert), and each announcement sets the dcc.Store
// `embed-live`, an input of the panel's callback, so the panel is drawn again from the token.
// A token revoked or expired while the stream is open ends it with `refused`, and a refused
// reconnection is told from a dropped one by asking the page's address: either way the page
// is loaded again and shows the refusal page. A drop (server restart, network) reconnects by
// itself with Last-Event-ID; a 503 (busy) after a growing pause.
(function () {
  "use strict";
  var PREFIX = "/embed/";
  var path = window.location.pathname;
  if (!window.EventSource || path.indexOf(PREFIX) !== 0 || path.indexOf(PREFIX + "_") === 0) return;
  var token = path.slice(PREFIX.length).replace(/\/+$/, "");
  if (!token) return;

  var STORE = "embed-live";
  var FLUSH_MS = 300; // a burst of alerts is one redraw
  var lastSeq = null;
  var source = null;
  var pause = 2000;
  var pending = false;

  function announce() {
    pending = false;
    try {
      window.dash_clientside.set_props(STORE, { data: { seq: lastSeq } });
    } catch (e) {
      schedule(); // Dash not ready yet
    }
  }

  function schedule() {
    if (pending) return;
    pending = true;
    setTimeout(announce, FLUSH_MS);
  }

  function refused() {
    if (source) source.close();
    window.location.reload(); // the guard answers with the refusal page, in the reader's language
  }

  function connect() {
    var url = PREFIX + "_live/" + token + (lastSeq !== null ? "?last=" + encodeURIComponent(lastSeq) : "");
    source = new EventSource(url);
    source.addEventListener("open", function () {
      pause = 2000;
    });
    source.addEventListener("alert", function (event) {
      try {
        var message = JSON.parse(event.data);
        if (typeof message.seq === "number") lastSeq = Math.max(lastSeq || 0, message.seq);
      } catch (e) {
        return;
      }
      schedule();
    });
    source.addEventListener("reset", function (event) {
      try {
        lastSeq = JSON.parse(event.data).seq;
      } catch (e) {
        /* keep the last seq */
      }
      schedule();
    });
    source.addEventListener("refused", refused);
    source.addEventListener("error", function () {
      if (source.readyState !== EventSource.CLOSED) return; // a drop: the browser reconnects
      source.close();
      // not answered with a stream: a refused token, or a busy server? The page's address says.
      fetch(window.location.href, { method: "HEAD", cache: "no-store" })
        .then(function (answer) {
          if (answer.status === 403) return refused();
          setTimeout(connect, pause);
          pause = Math.min(pause * 2, 60000);
        })
        .catch(function () {
          setTimeout(connect, pause);
          pause = Math.min(pause * 2, 60000);
        });
    });
  }

  // Dash draws the panel after this script runs: join the stream once a live panel is there.
  var look = setInterval(function () {
    var panel = document.querySelector(".os-embed-panel");
    if (!panel) return;
    clearInterval(look);
    if (panel.getAttribute("data-live") === "true") connect();
  }, 200);
  window.addEventListener("pagehide", function () {
    if (source) source.close();
  });
})();
