// A wall or embedded panel's page is sent without ag-grid's and the admin parts' bundles
// (components/screen_scripts.py). Such a document routes only to other screens (a playlist's next
// layout); should it be routed anywhere else (the browser's Back, a link), that page is loaded
// whole, with its bundles, instead of drawn here without them.
(function screenBundles() {
  const onScreen = window.onescreenOnScreen;  // assets/01-plotly-basic.js, which runs first
  if (!onScreen()) return;
  const check = () => { if (!onScreen()) window.location.reload(); };
  window.addEventListener("popstate", check);
  window.addEventListener("_dashprivate_pushstate", check);  // dcc.Link and dcc.Location
})();
