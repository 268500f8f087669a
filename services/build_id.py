"""What the browser is running, as one short id: a page compares the id it started with against
the server's (assets/06-reconnect.js) and reloads itself once when they differ, so a wall left
open for days picks up a redeployment's scripts, styles and callbacks without anyone touching it.

The id is a digest of the assets the pages load (their content: Dash's own `?m=` fingerprints
are modification times, which a checkout moves without changing a byte), the versions of Dash
and of the component libraries it serves, and the `build_label` setting (a deployment may name
its commit there, so a change of server code alone also reloads the screens). The same files
give the same id in every worker of every process, so a restart alone reloads nothing."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

from flask import Flask, jsonify

BUILD_PATH = "/_build"  # public (security/guard.py): a page asks it while signed out too
# the libraries whose scripts Dash serves to the browser (a new version means new bundles)
LIBRARIES = ("dash", "dash-bootstrap-components", "dash-ag-grid", "dash-cytoscape", "dash-leaflet", "plotly")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def build_id(assets: Path, label: str = "") -> str:
    """The digest of every file under `assets` (path and content), the libraries' versions and
    `label`: 16 hex digits."""
    digest = hashlib.sha256()
    for path in sorted(p for p in assets.rglob("*") if p.is_file()):
        digest.update(path.relative_to(assets).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in LIBRARIES:
        digest.update(f"{name}={_version(name)}\0".encode())
    digest.update(label.encode())
    return digest.hexdigest()[:16]


def init_build_id(server: Flask, assets: Path, label: str) -> None:
    """Serve the id at BUILD_PATH (computed once: the files do not change under a process)."""
    value = build_id(assets, label)

    def answer():
        response = jsonify(build=value)
        response.headers["Cache-Control"] = "no-store"  # a probe must reach the server
        return response

    server.add_url_rule(BUILD_PATH, "build_id", answer)
