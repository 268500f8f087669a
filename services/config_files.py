"""Reading one of the YAML files that configure the app (KPIs, map layers, chain rules, policies,
screen layouts): a file that cannot be read or is not YAML, or whose content its parser refuses,
stops start-up with one line naming the file and what is wrong, in the file's own error type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


def read_config(path: Path, error: type[Exception]) -> Any:
    """The YAML content of `path`; `error` naming the file when it cannot be read or parsed."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path}: {exc}") from None


def load_config(path: Path, parse: Callable[[Any], T], error: type[Exception]) -> T:
    """`parse` of the file's content; its `error` carries the file's name in front."""
    data = read_config(path, error)
    try:
        return parse(data)
    except error as exc:
        raise error(f"{path}: {exc}") from None
