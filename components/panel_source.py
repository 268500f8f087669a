"""A wall panel's source line: the titles of the sources serving the contracts it reads (each
named once) and when it read them ("read 10:05", turning to "no update since 10:05" in the
browser once that is older than `late`; components/read_at.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from dash import html

from components.read_at import read_at
from locales import t
from services.context import get_services


def source_line(contracts: Iterable[str], read: datetime, stale: bool, lang: str, late: timedelta) -> list:
    services = get_services()
    names = dict.fromkeys(s for c in contracts if (s := services.sources.source_of(c)) is not None)
    if not names:
        return [t("panel.no_source", lang)]
    titles = ("、" if lang == "zh" else ", ").join(services.sources.title(s, lang) for s in names)
    return [titles, html.Span(" · "), read_at(read, stale, lang, services.settings.zone, late)]
