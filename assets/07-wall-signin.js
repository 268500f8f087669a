// The wall's sign-in screen (security/wall_sessions.py, /wall-signin): nobody may stand at a
// wall, so it asks every 30 s whether this browser may see the screens again (a wall token
// entered, a person signed in in another tab, the anonymous role switched on) and then goes
// back to the wall by itself. Dash loads every script in assets/ on its pages too: there the
// screen's marker is missing and this does nothing.
(function () {
  "use strict";
  var EVERY = 30000;
  function start() {
    var screen = document.querySelector("[data-wall-return]");
    if (!screen) return;
    var back = screen.getAttribute("data-wall-return") || "/";
    if (back.charAt(0) !== "/" || back.charAt(1) === "/") back = "/"; // this app's pages only
    setInterval(function () {
      fetch("/wall-signin/status", { cache: "no-store", credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { screens: false };
        })
        .then(function (answer) {
          if (answer.screens) window.location.replace(back);
        })
        .catch(function () {
          /* the server is away: ask again at the next turn */
        });
    }, EVERY);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
