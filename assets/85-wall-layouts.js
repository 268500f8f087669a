// Screen layouts (pages/wall.py, pages/admin_screens.py): an element of class os-fit is a
// canvas in CSS px whose data-view "x,y,w,h" names the part to show; it is scaled and shifted so
// that part fills its parent exactly (centred when the aspect ratios differ, as in a preview).
// A wall of screens shows one part of one canvas per window: the nine parts line up. A CSS
// transform, not zoom: plotly loses clicks and hover under zoom (FIELD_NOTES.md).
(function wallLayouts() {
  function fit(el) {
    const view = (el.dataset.view || "").split(",").map(Number);
    const box = el.parentElement;
    if (view.length !== 4 || !box || view.some((n) => !Number.isFinite(n)) || !view[2] || !view[3]) return;
    const [x, y, w, h] = view;
    const scale = Math.min(box.clientWidth / w, box.clientHeight / h);
    const dx = (box.clientWidth - w * scale) / 2;
    const dy = (box.clientHeight - h * scale) / 2;
    const transform = `translate(${dx}px, ${dy}px) scale(${scale}) translate(${-x}px, ${-y}px)`;
    if (el.style.transform !== transform) el.style.transform = transform;
  }
  function fitAll() {
    document.querySelectorAll(".os-fit").forEach(fit);
  }
  let queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fitAll();
    });
  }
  window.addEventListener("resize", soon);
  // Dash draws pages after load and redraws panels on their ticks: fit whatever arrives
  new MutationObserver(soon).observe(document.documentElement, { childList: true, subtree: true });
  window.onescreenFitAll = fitAll;
})();
