// The one map (pages/map.py): how its layers draw, and its address.
// Leaflet takes these functions by name (dash-leaflet resolves {variable: "osMap.…"}); they live
// here, not as inline scripts, so the Content-Security-Policy needs no hash for them. Colours
// come from CSS classes (assets/70-map.css: os-k-k0…, os-k-b0…, os-k-critical…), so the wall and
// desk themes restyle the map without redrawing it.
(function () {
  "use strict";

  // A classed feature takes its class's colour; one without (the base drawing) keeps its layer's.
  function classes(feature, hideout) {
    var k = feature.properties && feature.properties.k;
    return "os-ml os-ml-" + hideout.layer + (k ? " os-k-" + k : "");
  }

  function style(feature, context) {
    var h = context.hideout || {};
    return { className: classes(feature, h), weight: h.weight || 1, fillOpacity: h.fill == null ? 0.35 : h.fill, opacity: 1 };
  }

  function pointToLayer(feature, latlng, context) {
    var h = context.hideout || {};
    return L.circleMarker(latlng, {
      radius: h.radius || 5, weight: h.weight || 1, fillOpacity: 0.9, className: classes(feature, h),
    });
  }

  // A cluster: a disc whose size grows with the log of its count, the count written in it.
  function clusterToLayer(feature, latlng, index, context) {
    var h = context.hideout || {};
    var n = feature.properties.point_count;
    var size = Math.round(22 + 7 * Math.log10(Math.max(n, 1)));
    var icon = L.divIcon({
      html: "<span>" + feature.properties.point_count_abbreviated + "</span>",
      className: "os-map-cluster os-ml-" + h.layer, iconSize: L.point(size, size),
    });
    return L.marker(latlng, { icon: icon });
  }

  // The layers' addresses: a layer switched off has none (dash-leaflet then draws nothing), a
  // layer below its min_zoom neither; ranged layers carry the range, live ones a version that
  // each push or tick moves, filtered ones their filters.
  // dash-leaflet's trackViewport writes the map's `zoom`, `center` and `bounds` on each move
  // (never `viewport`, which is only the way to move it).
  function layerUrls(shown, view, zoom, live, tick, meta) {
    var ids = (meta && meta.ids) || [];
    var on = new Set(shown || []);
    (meta.base || []).forEach(function (id) { on.add(id); });
    view = view || {};
    zoom = zoom == null ? meta.zoom : zoom;
    var version = ((live && live.seq) || 0) + "." + (tick || 0);
    return ids.map(function (id) {
      var spec = meta.layers[id];
      if (!on.has(id) || (spec.min_zoom != null && zoom < spec.min_zoom)) { return ""; }
      var q = ["crs=" + meta.crs];
      if (spec.ranged) {
        q.push("range=" + encodeURIComponent(view.range || "7d"));
        if (view.range === "custom") { q.push("from=" + (view.from || ""), "to=" + (view.to || "")); }
      }
      var f = (view.filters || {})[id];
      if (f) {
        var parts = Object.keys(f).filter(function (k) { return f[k]; }).map(function (k) { return k + ":" + f[k]; });
        if (parts.length) { q.push("where=" + encodeURIComponent(parts.join(","))); }
      }
      if (spec.live) { q.push("v=" + version); }
      return "/api/v1/map/layers/" + id + "?" + q.join("&");
    });
  }

  // The view in the address bar, replaced (not pushed) as the map moves: a link reproduces it.
  function keepUrl(c, zoom, shown, view) {
    var q = new URLSearchParams(window.location.search);
    if (c && zoom != null) {
      var lat = Array.isArray(c) ? c[0] : c.lat, lng = Array.isArray(c) ? c[1] : c.lng;
      q.set("c", lat.toFixed(5) + "," + lng.toFixed(5));
      q.set("z", String(Math.round(zoom)));
    }
    if (shown) { q.set("l", shown.join(",")); }
    view = view || {};
    q.set("range", view.range || "7d");
    ["from", "to"].forEach(function (k) { if (view.range === "custom" && view[k]) { q.set(k, view[k]); } else { q.delete(k); } });
    var filters = [];
    Object.keys(view.filters || {}).forEach(function (layer) {
      var f = view.filters[layer];
      Object.keys(f).forEach(function (k) { if (f[k]) { filters.push(layer + "." + k + ":" + f[k]); } });
    });
    if (filters.length) { q.set("f", filters.join(";")); } else { q.delete("f"); }
    var next = window.location.pathname + "?" + q.toString();
    if (next !== window.location.pathname + window.location.search) { window.history.replaceState(window.history.state, "", next); }
    return window.dash_clientside.no_update;
  }

  window.osMap = { style: style, pointToLayer: pointToLayer, clusterToLayer: clusterToLayer };
  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    osMap: { layerUrls: layerUrls, keepUrl: keepUrl },
  });
})();
