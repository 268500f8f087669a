"""The message catalogues (zh, en) and `t(key, lang, **values)`.

Keys are stable dotted names; a test checks both catalogues have the same keys and
placeholders and that every `t("…")` key used in the code exists."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
_HERE = Path(__file__).resolve().parent


@cache
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((_HERE / f"{lang}.json").read_text(encoding="utf-8"))


def normalise(lang: str | None) -> str:
    """Any input (a tampered store, a browser's 'zh-CN') becomes a supported language."""
    if not lang:
        return DEFAULT
    lang = str(lang).lower()
    return lang[:2] if lang[:2] in LANGUAGES else DEFAULT


def best_language(accept: Any, default: str = DEFAULT) -> str:
    """zh or en, whichever a request's Accept-Language (werkzeug's LanguageAccept) prefers, else
    `default`."""
    best = accept.best_match(LANGUAGES) if accept is not None else None
    return normalise(best or default)


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The message `key` in `lang`, formatted with `values`. A missing key shows the key itself
    (visible in screenshots and caught by the catalogue test) rather than raising mid-render."""
    text = catalogue(normalise(lang)).get(key)
    if text is None:
        return key
    return text.format(**values) if values else text
