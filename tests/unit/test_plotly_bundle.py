"""Charts draw with plotly.js's basic bundle (assets/01-plotly-basic.js, assets/vendor/): it holds
the scatter, bar and pie traces only, so every trace the app draws must be one of those, and the
bundle must be the plotly.js release the installed plotly package was built for (its figures'
attributes). A new trace type, or a plotly upgrade, fails here until the bundle is changed too."""

from __future__ import annotations

import re

from plotly.offline import get_plotlyjs_version

from config.settings import ROOT

BUNDLE_TRACES = {"Scatter", "Bar", "Pie"}  # plotly.js-basic-dist-min's traces
CODE = ("components", "pages", "services", "domain")
LOADER = ROOT / "assets" / "01-plotly-basic.js"


def bundle_file():
    (bundle,) = (ROOT / "assets" / "vendor").glob("plotly-basic-*.min.js")
    return bundle


def test_every_trace_the_app_draws_is_in_the_basicbundle_file():
    used: set[str] = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r"\bgo\.([A-Z][A-Za-z]+)\(", path.read_text(encoding="utf-8")))
    used -= {"Figure"}
    assert used, "no trace found: the scan is broken"
    assert used <= BUNDLE_TRACES, f"not in plotly.js's basic bundle: {sorted(used - BUNDLE_TRACES)}"


def test_the_bundle_is_the_plotly_js_release_of_the_installed_plotly():
    version = get_plotlyjs_version()
    bundle = bundle_file()
    assert bundle.name == f"plotly-basic-{version}.min.js"
    assert f"plotly.js (basic - minified) v{version}" in bundle.read_text(encoding="utf-8")[:300]
    assert f'"vendor/{bundle.name}"' in LOADER.read_text(encoding="utf-8")
