// A wall or embedded panel's page is sent without ag-grid's and the admin parts' bundles
// (components/screen_scripts.py). Such a document routes only to other screens (a playlist's next
// layout); should it be routed anywhere else (the browser's Back, a link), that page is loaded
// whole, with its bundles, instead of drawn here without them.
(function screenBundles() {
  const SCREEN_PATHS = ["/wall/", "/embed/"];  // as components/screen_scripts.py
  const onScreen = () => SCREEN_PATHS.some((p) => window.location.pathname.startsWith(p));
  if (!onScreen()) return;
  const check = () => { if (!onScreen()) window.location.reload(); };
  window.addEventListener("popstate", check);
  window.addEventListener("_dashprivate_pushstate", check);  // dcc.Link and dcc.Location
})();
