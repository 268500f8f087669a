// What the page does when the server refuses a request (security/guard.py).
// Loaded before Dash's renderer makes its first request (assets load in name order, and the
// renderer starts after them), so every fetch goes through here.
//   401 from /_dash-*: the session ended (expired, signed out elsewhere, password changed).
//        Go to the sign-in page, which brings the person back to this page afterwards (a wall:
//        to its own sign-in screen, which needs nobody to come back).
//   403 from a callback: the role does not allow it. Say so instead of leaving a dead panel.
(function () {
  if (!window.fetch || window.__onescreenFetch) return;
  window.__onescreenFetch = true;
  const original = window.fetch.bind(window);
  const MESSAGES = {
    zh: "您的角色无权执行此操作，已记录在审计日志中。",
    en: "Your roles do not allow this. The attempt has been recorded in the audit log.",
  };
  let leaving = false;

  function pathOf(input) {
    try {
      const url = typeof input === "string" ? input : (input && input.url) || "";
      return new URL(url, window.location.href).pathname;
    } catch (e) {
      return "";
    }
  }

  function toSignIn() {
    if (leaving) return;
    leaving = true;
    const here = window.location.pathname + window.location.search;
    // a wall is left alone: it shows what to do and comes back by itself (security/wall_sessions.py)
    const wall = window.location.pathname.indexOf("/wall/") === 0;
    window.location.assign((wall ? "/wall-signin?next=" : "/login?expired=1&next=") + encodeURIComponent(here));
  }

  function showDenied() {
    const lang = document.documentElement.getAttribute("lang") === "en" ? "en" : "zh";
    let box = document.getElementById("os-denied");
    if (!box) {
      box = document.createElement("div");
      box.id = "os-denied";
      box.className = "alert alert-warning os-denied";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = MESSAGES[lang];
    clearTimeout(box._hide);
    box._hide = setTimeout(function () { box.remove(); }, 8000);
  }

  window.onescreenPathOf = pathOf; // assets/06-reconnect.js reads requests the same way

  window.fetch = function (input, init) {
    return original(input, init).then(function (response) {
      const path = pathOf(input);
      if (path.indexOf("/_dash-") === 0) {
        if (response.status === 401) {
          toSignIn();
          // The page is leaving: keep the renderer waiting rather than let it report the
          // refusal as a callback error (or read the body twice) while the sign-in page loads.
          return new Promise(function () {});
        }
        if (response.status === 403 && path === "/_dash-update-component") showDenied();
      }
      return response;
    });
  };
})();
