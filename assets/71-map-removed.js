// A map taken off the page while one of its GeoJSON layers still fetches its data (a wall's
// playlist turning, a panel redrawn, a page left) is answered by dash-leaflet's GeoJSON, once the
// data arrive, with map.getBounds() on the removed map; Leaflet then reads the position of a
// pane it has already deleted and throws "reading '_leaflet_pos'" in the console. A removed map
// has no panes: say it stands at the origin, and the layer draws into nothing, quietly.
(function mapRemovedGuard() {
  "use strict";
  var L = window.L;
  if (!L || !L.Map || !L.Map.prototype._getMapPanePos) return;
  var panePos = L.Map.prototype._getMapPanePos;
  L.Map.prototype._getMapPanePos = function () {
    return this._mapPane ? panePos.call(this) : L.point(0, 0);
  };
})();
