"""Building the app in-process for a test: the settings come from the arguments only, never from
ONESCREEN_* variables that happen to be set on the machine running the tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from app import build_dash
from config.settings import load_settings


def clear_onescreen_env(patch: pytest.MonkeyPatch) -> None:
    """Remove every ONESCREEN_* variable from the environment (restored when `patch` undoes)."""
    for key in [k for k in os.environ if k.startswith("ONESCREEN_")]:
        patch.delenv(key)


def build_app(data_dir: Path | str, *, seed: bool = True, demo_cases: int = 300, **settings: Any):
    """The Dash app on the store in `data_dir`, built with no ONESCREEN_* variable set."""
    with pytest.MonkeyPatch.context() as patch:
        clear_onescreen_env(patch)
        return build_dash(load_settings(data_dir=data_dir, demo_cases=demo_cases, **settings), seed=seed)
