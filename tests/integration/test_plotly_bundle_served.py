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
