// OneScreen's browser-side helpers: theme and language (clientside callbacks) and the clock.
// Kept in assets/ (not inline strings) so the Content-Security-Policy needs no script hashes.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  onescreen: {
    applyTheme: function (theme) {
      const root = document.documentElement;
      const desk = theme === "desk";
      root.setAttribute("data-bs-theme", desk ? "light" : "dark");
      root.classList.toggle("os-desk", desk);
      root.classList.toggle("os-wall", !desk);
      return theme;
    },
    applyLanguage: function (lang, _path, nav) {
      document.documentElement.setAttribute("lang", lang === "en" ? "en" : "zh-CN");
      const brand = document.getElementById("shell-brand");
      const active = document.querySelector(".os-nav .nav-link.active");
      const page = active ? active.textContent.trim() : "";
      const name = brand ? brand.textContent.trim() : "OneScreen";
      document.title = page ? page + " · " + name : name;
      return lang;
    },
  },
});

(function clock() {
  // The park's time by the server's clock, never this computer's (a wall's computer may be set
  // to any zone, or be hours off): the shell carries the server's time when it was drawn
  // (data-now-ms), and the time since is measured by performance.now(), which setting the
  // computer's clock does not move. Without it (an older shell), this computer's clock.
  let drawn = null; // [the server's ms, performance.now() when the shell was first seen]
  function parkNow(el) {
    const ms = Number(el.getAttribute("data-now-ms"));
    if (!Number.isFinite(ms) || ms <= 0) return new Date();
    if (!drawn || drawn[0] !== ms) drawn = [ms, performance.now()];
    return new Date(drawn[0] + (performance.now() - drawn[1]));
  }
  function tick() {
    const el = document.getElementById("shell-clock");
    if (el) {
      const tz = el.getAttribute("data-tz") || "Asia/Shanghai";
      const now = parkNow(el);
      // English spells the month ("Sun 6 Dec 2026"): "06/12/2026" reads as 12 June to an en-US
      // reader. Chinese keeps its own numeric order (2026/12/06周日), which nobody misreads.
      const english = document.documentElement.getAttribute("lang") === "en";
      const date = english
        ? new Intl.DateTimeFormat("en-GB", { timeZone: tz, year: "numeric", month: "short", day: "numeric", weekday: "short" }).format(now).replace(",", "")
        : new Intl.DateTimeFormat("zh-CN", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" }).format(now);
      const time = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(now);
      el.textContent = date + " " + time;
    }
  }
  // the shell is drawn by React after load: tick often until the clock exists, then each second
  const early = setInterval(function () { if (document.getElementById("shell-clock")) { tick(); clearInterval(early); } }, 50);
  setInterval(tick, 1000);
})();

// A panel whose figure is not replaced in time says so (components/read_at.py): the server
// drew it with its age then; the age now adds the time since this browser first saw that read
// (by the read's own key: React may draw the same figure into new elements), so a wrong clock on
// this computer does not matter.
(function markLate() {
  const seen = new Map();
  function check() {
    const now = performance.now();  // monotonic: setting the computer's clock does not move it
    document.querySelectorAll(".os-read-at[data-late-ms]").forEach(function (el) {
      const key = el.getAttribute("data-read");
      if (!seen.has(key)) seen.set(key, now);
      const age = Number(el.getAttribute("data-age-ms")) + (now - seen.get(key));
      if (age > Number(el.getAttribute("data-late-ms")) && !el.classList.contains("os-late")) {
        el.textContent = el.getAttribute("data-late-text");
        el.classList.replace("os-live", "os-late");
        const meta = el.closest(".os-kpi-meta, .os-panel-source");
        if (meta) meta.classList.add("os-late");
      }
    });
    if (seen.size > 500) seen.clear();  // a screen left open for days keeps only recent reads
  }
  setInterval(check, 5000);
})();
