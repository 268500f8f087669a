// Fit the app to any screen without scroll bars: below 1920 CSS pixels wide the layout is
// natural; wider screens (a 3840×2160 wall) draw the same 1920-wide layout scaled up, so
// text, plotly charts and the map keep their proportions. A CSS transform, not `zoom`:
// plotly loses clicks and hover under zoom (FIELD_NOTES.md). Height follows the screen's
// aspect ratio, so nothing is letterboxed.
(function stage() {
  const DESIGN_WIDTH = 1920;
  function fit() {
    const scale = Math.max(1, window.innerWidth / DESIGN_WIDTH);
    const root = document.documentElement.style;
    root.setProperty("--os-scale", String(scale));
    root.setProperty("--os-stage-w", window.innerWidth / scale + "px");
    root.setProperty("--os-stage-h", window.innerHeight / scale + "px");
  }
  fit();
  window.addEventListener("resize", fit);
})();
