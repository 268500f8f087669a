// Kiosk mode, playlists and the night theme (issue 13, item 3; README "Kiosk and playlists").
// - Kiosk: ?kiosk=1 on any page, or the header's button, hides all chrome (html.os-kiosk,
//   assets/87-kiosk.css); it lasts while the tab moves between pages (session storage), and Esc
//   or the control that shows on a mouse move ends it (?kiosk=0 too).
// - Playlist: a wall drawn with ?playlist= (components/wall_kiosk.py: #wall-playlist) goes to
//   the layout the clock says, by Dash's own navigation (no reload), keeping the query. The
//   clock is the server's when this computer's is more than 2 s off it, so the windows of a wall
//   agree; a critical alert holding the wall (.os-wall-takeover) pauses the turn.
// - Night: ?theme=night|day, remembered by the tab like the kiosk; otherwise, on a wall or a
//   kiosk, the night hours of config/screens.yaml in the park's time zone (data on #shell-kiosk).
(function kiosk() {
  "use strict";
  var KIOSK_KEY = "onescreen.kiosk";
  var THEME_KEY = "onescreen.theme";
  var AWAKE_MS = 3000;
  var root = document.documentElement;
  var awakeTimer = null;
  var seen = {}; // the data-server-ms values already taken into `best`
  var best = null; // the server's clock minus this computer's, as closely as seen

  function store(key, value) {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, value);
    } catch (e) {
      /* storage refused (a locked-down kiosk browser): the address alone decides */
    }
  }
  function stored(key) {
    try {
      return sessionStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }
  function language() {
    return root.getAttribute("lang") === "en" ? "en" : "zh";
  }

  // the query's word wins and is remembered for the tab; without one, what the tab remembers
  function fromQuery(name, key) {
    var value = new URLSearchParams(location.search).get(name);
    if (value === "auto") value = null; // ?theme=auto: forget the tab's choice
    if (new URLSearchParams(location.search).has(name)) store(key, value);
    return value !== null ? value : stored(key);
  }

  function setQuery(name, value) {
    var url = new URL(location.href);
    if (value === null) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }

  // The server's clock as this page saw it drawn: each drawing's time is at most the server's
  // time when the page sees it, so the largest (drawn - now) is the closest estimate; used only
  // when this computer's clock is more than 2 s off (windows on one computer then agree exactly).
  function clockOffset(el) {
    var drawn = el && el.getAttribute("data-server-ms");
    if (drawn && !(drawn in seen)) {
      seen[drawn] = true;
      var sample = Number(drawn) - Date.now();
      if (Number.isFinite(sample)) best = best === null ? sample : Math.max(best, sample);
    }
    return best !== null && Math.abs(best) > 2000 ? best : 0;
  }

  function setKiosk(on) {
    store(KIOSK_KEY, on ? "1" : "0");
    setQuery("kiosk", on ? "1" : null);
    apply();
  }

  function words() {
    var lang = language();
    var enter = document.getElementById("shell-kiosk");
    if (enter) {
      var title = enter.getAttribute("data-enter-" + lang);
      if (title && enter.title !== title) {
        enter.title = title;
        enter.setAttribute("aria-label", title);
      }
    }
    var exit = document.getElementById("shell-kiosk-exit");
    var text = exit && exit.querySelector(".os-kiosk-exit-text");
    var said = exit && exit.getAttribute("data-exit-" + lang);
    if (text && said && text.textContent !== said) text.textContent = said;
  }

  function parkTime(el) {
    var tz = (el && el.getAttribute("data-tz")) || "Asia/Shanghai";
    var now = new Date(Date.now() + clockOffset(el));
    return new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false }).format(now);
  }

  function night(kioskOn) {
    var theme = fromQuery("theme", THEME_KEY);
    if (theme === "night") return true;
    if (theme === "day") return false;
    var wall = !!document.querySelector(".os-wall-viewport");
    var el = document.getElementById("shell-kiosk");
    var from = el && el.getAttribute("data-night-from");
    var to = el && el.getAttribute("data-night-to");
    if (!(wall || kioskOn) || !from || !to) return false;
    var now = parkTime(el); // "HH:MM" compares as text
    return from < to ? now >= from && now < to : now >= from || now < to;
  }

  function apply() {
    var on = fromQuery("kiosk", KIOSK_KEY) === "1";
    root.classList.toggle("os-kiosk", on);
    if (!on) root.classList.remove("os-kiosk-awake");
    root.classList.toggle("os-night", night(on));
    words();
  }

  function playlist() {
    var el = document.getElementById("wall-playlist");
    if (!el || document.querySelector(".os-wall-takeover")) return;
    var entries;
    try {
      entries = JSON.parse(el.getAttribute("data-entries"));
    } catch (e) {
      return;
    }
    var round = entries.reduce(function (sum, e) { return sum + e[1]; }, 0);
    if (!round) return;
    var into = ((Date.now() + clockOffset(el)) / 1000) % round;
    var want = entries[entries.length - 1][0];
    for (var i = 0; i < entries.length; i += 1) {
      if (into < entries[i][1]) {
        want = entries[i][0];
        break;
      }
      into -= entries[i][1];
    }
    var path = "/wall/" + encodeURIComponent(want);
    // asked for already and not drawn yet: wait for Dash rather than ask again
    if (want === el.getAttribute("data-layout") || location.pathname === path) return;
    history.pushState(null, "", path + location.search + location.hash);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate")); // dcc.Location follows
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("#shell-kiosk")) setKiosk(true);
    else if (target && target.closest("#shell-kiosk-exit")) setKiosk(false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && root.classList.contains("os-kiosk")) setKiosk(false);
  });
  document.addEventListener("mousemove", function () {
    if (!root.classList.contains("os-kiosk")) return;
    root.classList.add("os-kiosk-awake");
    clearTimeout(awakeTimer);
    awakeTimer = setTimeout(function () { root.classList.remove("os-kiosk-awake"); }, AWAKE_MS);
  });
  window.addEventListener("popstate", apply);
  window.addEventListener("_dashprivate_pushstate", apply);
  new MutationObserver(words).observe(root, { attributes: true, attributeFilter: ["lang"] });
  apply();
  // the night hours pass and Dash draws pages after load: look again every half second
  setInterval(function () {
    apply();
    playlist();
  }, 500);
})();
