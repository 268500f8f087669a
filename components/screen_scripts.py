"""What a screen's first page is sent without: a wall layout (/wall/...) and an embedded panel
(/embed/...) draw no grid, dropdown or date picker, yet every Dash page lists ag-grid's bundle
and the admin parts' code (components/admin_common.load_with_the_app), 2.2 MB of script that
the browser parses before Dash's renderer starts. A screen's first render is what a command
centre waits for (issue 13: under 2 s at 3840x2160), so those lines are taken out of its index.

Such a document only ever routes to other screens (a playlist's next layout). Should it be
routed anywhere else (the browser's Back, a link), assets/02-screen-bundles.js loads that page
whole, with its bundles."""

from __future__ import annotations

import re

from dash import hooks
from flask import has_request_context, request

from components.admin_common import DATE_PICKER_CODE, DROPDOWN_CODE, GRID_CODE

SCREEN_PATHS = ("/wall/", "/embed/")  # kept in step with assets/01-plotly-basic.js
GRID_LIBRARY = {"namespace": "dash_ag_grid", "relative_package_path": "dash_ag_grid.min.js"}
LEFT_OUT = (GRID_LIBRARY, GRID_CODE, DROPDOWN_CODE, DATE_PICKER_CODE)


def script_line(code: dict) -> re.Pattern[str]:
    """The <script> line Dash writes for a bundle, whose name carries a fingerprint after its
    first dot (dash.fingerprint.build_fingerprint: x.min.js is served as x.v1_2_3m456.min.js)."""
    folder, _, file = code["relative_package_path"].rpartition("/")
    name, extension = file.split(".", 1)
    path = "/".join(filter(None, (code["namespace"], folder, name)))
    served = rf"_dash-component-suites/{re.escape(path)}\.v\w+m\d+\.{re.escape(extension)}"
    return re.compile(rf'[ \t]*<script src="[^"]*{served}"></script>\n?')


LINES = [script_line(code) for code in LEFT_OUT]


@hooks.index()
def leave_out_on_screens(index: str) -> str:
    """Dash's index hook, run for every app's pages: a screen's index loses those bundles."""
    if not (has_request_context() and request.path.startswith(SCREEN_PATHS)):
        return index
    for line in LINES:
        index = line.sub("", index)
    return index
