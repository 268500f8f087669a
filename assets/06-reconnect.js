// Recovery after a server restart, a redeploy or a network drop (issue 13).
// Dash's renderer, when a callback's request fails, rejects it ("Callback failed: the server did
// not respond." when fetch rejects; the Response itself for any status but 200 and 204), logs it
// to the console and leaves the outputs as they were: nothing on the screen says so, and each
// timer's next tick fails the same way. So every request to /_dash-* goes through here:
//  - a failed connection (fetch rejects) or a proxy's 502/503/504 puts up a notice in the
//    page's language over the panels, which keep their last drawing, and /_build is asked with a
//    growing pause (1 s, doubling up to 30 s) until the server answers;
//  - a request that only reads (a timer's tick, a call made as a page is drawn, the pages
//    router, the layout and dependencies) is held instead of failed, the newest per output,
//    and sent again once the server answers: the panels redraw by themselves. A person's action
//    (a button) fails as Dash would have it: it may have reached the server before the drop and
//    must not be done twice;
//  - when the server answers with another build id than the page started with (a redeploy:
//    services/build_id.py), the page reloads, once per build id (sessionStorage), and only once
//    the server answers, never while it is down (that would leave the browser's error page).
// Loaded after 05-session.js (assets load in name order), whose handling of 401 and 403 stays.
(function () {
  "use strict";
  if (!window.fetch || window.__onescreenReconnect) return;
  window.__onescreenReconnect = true;

  var send = window.fetch.bind(window); // 05-session.js's wrapper of the browser's own
  var pathOf = window.onescreenPathOf; // 05-session.js: the path a request goes to
  if (typeof pathOf !== "function") return; // an app that does not load 05-session.js
  var BUILD = "/_build";
  var FIRST_PAUSE = 1000;
  var LAST_PAUSE = 30000;
  var CHECK_EVERY = 5 * 60 * 1000; // a redeploy quicker than any refresh is still noticed
  var GATEWAY = { 502: true, 503: true, 504: true };
  var RELOADED = "onescreen-reloaded-for";
  var WORDS = "os-reconnect-words"; // components/reconnect_words.py (both languages)
  var down = false;
  var pause = FIRST_PAUSE;
  var timer = null;
  var nextAt = 0;
  var trying = false;
  var pageBuild = null;
  var held = []; // {key, input, init, resolve}

  function language() {
    return document.documentElement.getAttribute("lang") === "en" ? "en" : "zh";
  }

  function words(key, seconds) {
    var el = document.getElementById(WORDS);
    var text = el ? el.getAttribute("data-" + key + "-" + language()) || "" : "";
    return text.replace("{seconds}", String(seconds));
  }

  // What a request asks: a read may be held and sent again; anything else may not.
  function readOnly(path, init) {
    if (path !== "/_dash-update-component") return !init || !init.method || init.method.toUpperCase() === "GET";
    var body;
    try {
      body = JSON.parse(init.body);
    } catch (e) {
      return false;
    }
    if (String(body.output).indexOf("_pages_content") !== -1) return true; // the router draws a page
    return (body.changedPropIds || []).every(function (id) {
      return /\.n_intervals$/.test(id);
    });
  }

  function keyOf(path, init) {
    if (path !== "/_dash-update-component") return null;
    try {
      return String(JSON.parse(init.body).output);
    } catch (e) {
      return null;
    }
  }

  function hold(path, input, init) {
    var key = keyOf(path, init);
    return new Promise(function (resolve) {
      held = held.filter(function (entry) {
        if (key === null || entry.key !== key) return true;
        // a newer tick asks the same: the older one ends as "no update" (Dash's 204)
        entry.resolve(new Response(null, { status: 204 }));
        return false;
      });
      held.push({ key: key, input: input, init: init, resolve: resolve });
    });
  }

  function notice() {
    var box = document.getElementById("os-reconnect");
    if (!box) {
      box = document.createElement("div");
      box.id = "os-reconnect";
      box.className = "os-reconnect";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      var icon = document.createElement("i");
      icon.className = "bi bi-wifi-off";
      var text = document.createElement("span");
      text.className = "os-reconnect-text";
      var next = document.createElement("span");
      next.className = "os-reconnect-next";
      box.append(icon, text, next);
      document.body.appendChild(box);
    }
    return box;
  }

  function showDown() {
    if (!down) return;
    var box = notice();
    box.querySelector(".os-reconnect-text").textContent = words("down");
    var seconds = Math.max(0, Math.ceil((nextAt - performance.now()) / 1000));
    box.querySelector(".os-reconnect-next").textContent = trying ? words("trying") : words("retry", seconds);
  }

  function schedule(ms) {
    clearTimeout(timer);
    nextAt = performance.now() + ms;
    timer = setTimeout(probe, ms);
    showDown();
  }

  function lost() {
    if (down) return;
    down = true;
    pause = FIRST_PAUSE;
    document.documentElement.classList.add("os-reconnecting");
    schedule(pause);
  }

  function askBuild() {
    return send(BUILD, { cache: "no-store", credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("build id: " + response.status);
      return response.json();
    });
  }

  // Reload for `build` unless this tab already did (a reload that drew the old build again, as
  // two versions behind one proxy during a rolling deploy may, must not loop).
  function reloadFor(build) {
    try {
      if (window.sessionStorage.getItem(RELOADED) === build) return false;
      window.sessionStorage.setItem(RELOADED, build);
    } catch (e) {
      return false;
    }
    notice().querySelector(".os-reconnect-text").textContent = words("reload");
    notice().querySelector(".os-reconnect-next").textContent = "";
    window.location.reload();
    return true;
  }

  function back(build) {
    if (pageBuild === null) pageBuild = build;
    if (build !== pageBuild && reloadFor(build)) return;
    down = false;
    trying = false;
    clearTimeout(timer);
    document.documentElement.classList.remove("os-reconnecting");
    var box = document.getElementById("os-reconnect");
    if (box) box.remove();
    var queue = held;
    held = [];
    queue.forEach(function (entry) {
      // through the wrapper again: if the server drops once more, the request is held again
      entry.resolve(window.fetch(entry.input, entry.init));
    });
  }

  function probe() {
    trying = true;
    showDown();
    askBuild().then(
      function (data) {
        back(String(data.build));
      },
      function () {
        trying = false;
        pause = Math.min(pause * 2, LAST_PAUSE);
        schedule(pause);
      }
    );
  }

  function check() {
    if (down) return;
    askBuild().then(function (data) {
      var build = String(data.build);
      if (pageBuild === null) pageBuild = build;
      else if (build !== pageBuild) reloadFor(build);
    }, lost);
  }

  window.fetch = function (input, init) {
    var path = pathOf(input);
    if (path.indexOf("/_dash-") !== 0) return send(input, init);
    var reads = readOnly(path, init);
    if (down && reads) return hold(path, input, init); // no request while the server is away
    return send(input, init).then(
      function (response) {
        if (!GATEWAY[response.status]) return response;
        lost();
        return reads ? hold(path, input, init) : response;
      },
      function (error) {
        lost();
        if (reads) return hold(path, input, init);
        throw error;
      }
    );
  };

  check(); // the build this page was drawn from
  setInterval(check, CHECK_EVERY);
  setInterval(showDown, 1000); // the countdown, in the page's language of the moment
  // for tests and for a person at the console: is the page waiting for the server?
  window.onescreenReconnect = function () {
    return { down: down, held: held.length, pause: pause, build: pageBuild };
  };
})();
