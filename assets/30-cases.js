// The Cases page's grid (pages/cases.py) keeps the blocks of rows it has read; after a new
// filter or a step it drops them and asks the server again (ag-grid's infinite row model).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  cases: {
    reload: function (_filter, _changed, gridId) {
      if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
        window.dash_ag_grid.getApiAsync(gridId).then(function (api) {
          api.purgeInfiniteCache();
        });
      }
      return window.dash_clientside.no_update;
    },
    close: function (clicks) {
      return clicks ? false : window.dash_clientside.no_update;
    },
  },
});
