"""The admin pages' lazily loaded component code (dcc's dropdown and date picker, ag-grid's grid)
is served with the app's first scripts, so their controls draw with the layout that holds them
(issue 8, defect 9; the browser side is tests/browser/test_admin_under_load.py)."""

from __future__ import annotations

import re

BUNDLES = ("dash/dcc/async-dropdown.", "dash/dcc/async-datepicker.", "dash_ag_grid/async-community.")


def test_the_page_names_the_lazily_loaded_code_among_its_scripts(app, admin):
    client, _csrf = admin
    page = client.get("/admin/access").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    renderer_start = page.index('id="_dash-renderer"')
    for bundle in BUNDLES:
        named = [src for src in scripts if f"/_dash-component-suites/{bundle}" in src]
        assert len(named) == 1, (bundle, scripts)
        assert page.index(named[0]) < renderer_start  # installed before the renderer asks for it
        served = client.get(named[0])
        assert served.status_code == 200 and len(served.data) > 10_000
        assert "max-age=31536000" in served.headers["Cache-Control"]  # fingerprinted: kept by browsers
