"""Reading the repository's own data files: the demo never reads anything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
# libyaml's loader parses the 220-type catalogue ten times faster than the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """Parse a UTF-8 YAML file with the safe loader (raises OSError, yaml.YAMLError)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
