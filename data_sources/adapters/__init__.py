"""The built-in adapters, one module each, loaded through the registry's entry points exactly as a
third party's are (data_sources.registry.BUILTIN); importing this package imports none of them.

The few helpers the file adapters share live here."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def resolve_path(path: str, base_dir: str) -> Path:
    """`path` as given when absolute, else relative to `base_dir` (the configuration's root)."""
    target = Path(path).expanduser()
    return target if target.is_absolute() else Path(base_dir) / target


def shorten(value: Any, limit: int = 60) -> str:
    """A short printable form of a value for a rejection message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
