"""The deployment's build id (services/build_id.py), which open pages compare to reload after a
redeploy (assets/06-reconnect.js; the browser test is tests/browser/test_reconnect.py)."""

from __future__ import annotations

import os
import shutil

import pytest
from apps import build_app

from config.settings import ROOT
from services.build_id import BUILD_PATH, build_id


@pytest.fixture
def assets(tmp_path):
    copy = tmp_path / "assets"
    shutil.copytree(ROOT / "assets", copy)
    return copy


def test_the_same_files_give_the_same_id_whatever_their_times(assets):
    first = build_id(assets)
    script = assets / "06-reconnect.js"
    os.utime(script, (1, 1))  # a checkout moves times (Dash's ?m= fingerprints) without a change
    assert build_id(assets) == first
    assert len(first) == 16 and int(first, 16) >= 0


def test_a_changed_added_or_removed_file_or_another_label_gives_another_id(assets):
    first = build_id(assets)
    script = assets / "06-reconnect.js"
    script.write_text(script.read_text() + "\n// one more line\n")
    changed = build_id(assets)
    (assets / "99-new.css").write_text("body {}")
    added = build_id(assets)
    (assets / "99-new.css").unlink()
    script.unlink()
    removed = build_id(assets)
    labelled = build_id(assets, "commit 1a2b3c")
    assert len({first, changed, added, removed, labelled}) == 5


def test_the_server_says_its_id_to_anyone_and_never_from_a_cache(tmp_path):
    app = build_app(tmp_path, seed=False, demo_cases=300, build_label="r42")
    response = app.server.test_client().get(BUILD_PATH)  # signed out: a wall whose session ended asks too
    assert response.status_code == 200
    assert response.get_json() == {"build": build_id(ROOT / "assets", "r42")}
    assert response.headers["Cache-Control"] == "no-store"
