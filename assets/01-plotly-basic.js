// Charts draw with plotly.js's basic bundle (scatter, bar and pie: every trace OneScreen draws,
// tests/unit/test_plotly_bundle.py) instead of the full bundle Dash serves: 1.2 MB instead of
// 4.8 MB, and the full one took ~750 ms of one core to evaluate before the first chart could
// draw on the leaders' screen (bench/bench_wall_render.py). Dash has no setting for a partial
// bundle (plotly/dash-core-components#462): dcc.Graph loads window._dashPlotlyJSURL, which the
// renderer sets when it starts, so the address is pinned here, before the renderer runs, and
// the file is fetched at once (preload) while the page waits on its first callbacks. Not on a
// screen (a wall layout, an embedded panel): their panels draw no Plotly chart (bars and lines
// in HTML and SVG, components/bar_list.py and line_chart.py), so a wall computer is not sent
// 1.2 MB it would not use.
(function plotlyBasic() {
  // a screen's paths, as components/screen_scripts.py; assets/02-screen-bundles.js asks the same
  window.onescreenOnScreen = () => ["/wall/", "/embed/"].some((p) => window.location.pathname.startsWith(p));
  if (window.Plotly) return;
  const url = new URL("vendor/plotly-basic-4.1.1.min.js", document.currentScript.src).href;
  Object.defineProperty(window, "_dashPlotlyJSURL", { configurable: true, get: () => url, set: () => {} });
  if (window.onescreenOnScreen()) return;
  const preload = document.createElement("link");
  preload.rel = "preload";
  preload.as = "script";
  preload.href = url;
  document.head.appendChild(preload);
})();
