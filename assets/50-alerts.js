// The Alerts page (pages/alerts.py) in the browser: selecting an alert (a click, Enter, or j/k),
// the shortcuts A / S / E that press the open alert's acknowledge / assign / escalate button
// (which opens the confirmation dialog, as a click would), and the chime for new critical
// alerts. Browsers refuse to play sound before the person has interacted with the page, so the
// switch says "click to enable sound" until then; its mute choice is kept in localStorage.
(function () {
  "use strict";
  var MUTE_KEY = "onescreen.alerts.muted";
  var SELECTED = "alerts-selected";
  var KEYS = { a: "A", s: "S", e: "E" };
  var enabled = false; // the person has interacted: the browser lets the page play sound

  function muted() {
    try {
      return window.localStorage.getItem(MUTE_KEY) === "1";
    } catch (e) {
      return false;
    }
  }

  function language() {
    return document.documentElement.getAttribute("lang") === "en" ? "en" : "zh";
  }

  function showSound() {
    var button = document.getElementById("alerts-sound");
    if (!button) return;
    var key = !enabled ? "enable" : muted() ? "muted" : "on";
    button.textContent = button.getAttribute("data-" + key + "-" + language()) || key;
    button.setAttribute("data-state", key);
    button.setAttribute("aria-pressed", key === "muted" ? "true" : "false");
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#alerts-list .os-alert-row"));
  }

  function select(row) {
    if (!row || !window.dash_clientside || !window.dash_clientside.set_props) return;
    var id = row.getAttribute("data-alert");
    rows().forEach(function (r) {
      r.classList.toggle("os-selected", r === row);
    });
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
    window.dash_clientside.set_props(SELECTED, { data: id });
    // the URL names the open alert, so a link opens it too
    var params = new URLSearchParams(window.location.search);
    params.set("alert", id);
    window.history.replaceState(window.history.state, "", window.location.pathname + "?" + params.toString());
  }

  function typing(target) {
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    return tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable);
  }

  document.addEventListener("click", function (event) {
    var first = !enabled;
    enabled = true;
    var sound = event.target.closest && event.target.closest("#alerts-sound");
    if (sound && !first) {
      try {
        window.localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
      } catch (e) {
        /* private mode: the choice lasts this page only */
      }
    }
    if (first || sound) showSound();
    var row = event.target.closest && event.target.closest("#alerts-list .os-alert-row");
    if (row) select(row);
  });

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("alerts-list")) return;
    if (!enabled) {
      enabled = true;
      showSound();
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector(".modal.show")) return; // the dialog has the keyboard
    var key = (event.key || "").toLowerCase();
    var list = rows();
    if (key === "j" || key === "k") {
      var at = list.findIndex(function (r) {
        return r.classList.contains("os-selected");
      });
      var next = key === "j" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
      if (list[next]) select(list[next]);
      event.preventDefault();
    } else if (key === "enter" && event.target.classList && event.target.classList.contains("os-alert-row")) {
      select(event.target);
    } else if (KEYS[key]) {
      var button = document.querySelector('#alerts-panel [data-key="' + KEYS[key] + '"]');
      if (button && !button.disabled) {
        button.click();
        event.preventDefault();
      }
    }
  });

  new MutationObserver(showSound).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ["lang"],
  });

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    alerts: {
      // the Overview's live panels read again once per batch of the live store (pages/overview.py)
      seqOf: function (live) {
        return live && typeof live.seq === "number" ? live.seq : Date.now();
      },
      // NEW critical alerts arrived (pages/alerts.py): chime once for the batch
      chime: function (news) {
        var audio = document.getElementById("alerts-chime");
        showSound();
        if (!news || !audio || !enabled || muted()) return window.dash_clientside.no_update;
        audio.currentTime = 0;
        var played = audio.play();
        if (played && played.catch) {
          played.catch(function () {
            enabled = false; // the browser still refuses: ask for a click again
            showSound();
          });
        }
        audio.setAttribute("data-chimes", String(parseInt(audio.getAttribute("data-chimes") || "0", 10) + 1));
        return news.seq;
      },
    },
  });
})();
