"""The charts' plotly.js basic bundle (assets/vendor/, tests/unit/test_plotly_bundle.py) is served
by the app, and its loader is on every page, but the bundle itself is not: dcc.Graph fetches it
when a chart is drawn (the browser tests check that Dash's full bundle is never fetched)."""

from __future__ import annotations

import re

import pytest
import requests

from config.settings import ROOT

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def bundle_file():
    (bundle,) = (ROOT / "assets" / "vendor").glob("plotly-basic-*.min.js")
    return bundle


@pytest.mark.integration
def test_the_bundle_is_served_on_request_but_not_loaded_by_every_page(live_server):
    served = requests.get(f"{live_server}/assets/vendor/{bundle_file().name}", timeout=30)
    assert served.status_code == 200 and served.content.startswith(b"/**")
    with requests.Session() as session:
        csrf = CSRF_FIELD.search(session.get(f"{live_server}/login", timeout=30).text).group(1)
        session.post(f"{live_server}/login/demo", data={"csrf": csrf, "username": "viewer"}, timeout=30)
        page = session.get(f"{live_server}/", timeout=30).text
    assert "01-plotly-basic.js" in page  # the loader, on every page
    assert "vendor/plotly-basic" not in page  # the bundle: fetched when a chart is drawn


@pytest.mark.integration
def test_a_wall_page_is_sent_without_the_admin_pages_bundles_which_other_pages_keep(live_server):
    """ag-grid's and the admin parts' bundles (components/screen_scripts) are parsed before the renderer starts:
    a wall's first render goes without them, an admin page still has them with its layout."""
    admin_bundles = (
        "dcc/async-dropdown.",
        "dcc/async-datepicker.",
        "dash_ag_grid/async-community.",
        "dash_ag_grid/dash_ag_grid.",
    )
    with requests.Session() as session:
        csrf = CSRF_FIELD.search(session.get(f"{live_server}/login", timeout=30).text).group(1)
        session.post(f"{live_server}/login/demo", data={"csrf": csrf, "username": "admin"}, timeout=30)
        audit = session.get(f"{live_server}/admin/audit", timeout=30).text
        wall = session.get(f"{live_server}/wall/leaders-4k", timeout=30)
    assert all(name in audit for name in admin_bundles)
    assert wall.status_code == 200 and 'id="_dash-renderer"' in wall.text
    assert not any(name in wall.text for name in admin_bundles)
    assert "dash_renderer" in wall.text and "01-plotly-basic.js" in wall.text  # the rest is all there
