"""Playlists and the wall's kiosk options (config/screens.yaml, beside `layouts:`). Pure: checked
against the layouts already parsed (domain/screens.py); LayoutError names the playlist and key.

A playlist shows its layouts in turn, each for its seconds. Where it stands is derived from the
clock alone (`position`: seconds since the epoch modulo the whole round), so nine windows of a
wall, or two walls in two rooms, agree without talking to each other. A wall's windows share one
screen shape, so the layouts of a playlist share theirs (a 3×3 wall cannot show a 4K layout).

`wall:` holds what the wall does beside its layouts: how long a critical alert holds the screen
when nobody acknowledges it, and the hours of the night theme in the park's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

from domain.screens import Layout, LayoutError

MIN_SECONDS = 10  # shorter, and a panel has barely drawn before it goes
DEFAULT_HOLD_S = 120
MAX_HOLD_S = 3600  # an hour: past it an unanswered alert is the duty desk's business, not the wall's


@dataclass(frozen=True)
class Entry:
    layout: str
    seconds: int


@dataclass(frozen=True)
class Playlist:
    name: str
    title: Mapping[str, str]  # by language
    entries: tuple[Entry, ...]

    @property
    def round_s(self) -> int:
        return sum(e.seconds for e in self.entries)


@dataclass(frozen=True)
class WallOptions:
    alert_hold_s: int = DEFAULT_HOLD_S
    night_from: time | None = time(20, 0)  # None: no night theme by the clock (?theme=night still is)
    night_to: time | None = time(7, 0)


def _seconds(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < MIN_SECONDS:
        raise LayoutError(
            f"{where}: a whole number of seconds, at least {MIN_SECONDS}, is expected, not {value!r}"
        )
    return value


def _entry(raw: object, where: str, default_s: int | None, layouts: Mapping[str, Layout]) -> Entry:
    """`name` (shown for the playlist's `seconds`) or `{layout: name, seconds: n}`."""
    if isinstance(raw, dict):
        unknown = set(raw) - {"layout", "seconds"}
        if unknown:
            raise LayoutError(f"{where}: unknown key {sorted(unknown)[0]!r} (layout, seconds)")
        name, seconds = raw.get("layout"), raw.get("seconds", default_s)
    else:
        name, seconds = raw, default_s
    if name not in layouts:
        raise LayoutError(f"{where}: unknown layout {name!r}; known: {', '.join(layouts)}")
    if seconds is None:
        raise LayoutError(f"{where}: seconds are missing (give the playlist's seconds, or this layout's)")
    return Entry(str(name), _seconds(seconds, f"{where}.seconds"))


def _playlist(name: str, raw: object, layouts: Mapping[str, Layout]) -> Playlist:
    where = f"playlists.{name}"
    if not isinstance(raw, dict):
        raise LayoutError(f"{where}: a mapping with title, seconds and layouts is expected")
    unknown = set(raw) - {"title", "seconds", "layouts"}
    if unknown:
        raise LayoutError(f"{where}: unknown key {sorted(unknown)[0]!r} (title, seconds, layouts)")
    title = raw.get("title")
    if not isinstance(title, dict) or not all(isinstance(title.get(lang), str) for lang in ("zh", "en")):
        raise LayoutError(f"{where}.title: a title in both languages is expected ({{zh: ..., en: ...}})")
    default_s = _seconds(raw["seconds"], f"{where}.seconds") if "seconds" in raw else None
    items = raw.get("layouts")
    if not isinstance(items, list) or not items:
        raise LayoutError(f"{where}.layouts: a list of at least one layout is expected")
    entries = tuple(
        _entry(item, f"{where}.layouts[{i}]", default_s, layouts) for i, item in enumerate(items, 1)
    )
    first = layouts[entries[0].layout].resolution
    for i, entry in enumerate(entries, 1):
        res = layouts[entry.layout].resolution
        if (res.canvas, res.rows, res.columns) != (first.canvas, first.rows, first.columns):
            raise LayoutError(
                f"{where}.layouts[{i}]: layout {entry.layout} is drawn for {res.name}, the first for "
                f"{first.name}: a playlist's layouts share one screen shape"
            )
    return Playlist(name, dict(title), entries)


def parse_playlists(data: object, layouts: Mapping[str, Layout]) -> dict[str, Playlist]:
    """The `playlists:` of a parsed screens file (none: an empty mapping)."""
    raw = data.get("playlists") if isinstance(data, dict) else None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise LayoutError("playlists: a mapping of playlist name -> playlist is expected")
    playlists = {}
    for name, item in raw.items():
        if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
            raise LayoutError(
                f"playlists.{name}: a name of letters, digits, - and _ is expected (it is a URL)"
            )
        playlists[name] = _playlist(name, item, layouts)
    return playlists


def _clock(value: object, where: str) -> time:
    text = str(value) if isinstance(value, str) else ""
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise LayoutError(f'{where}: a time as "HH:MM" is expected, not {value!r}')
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise LayoutError(f"{where}: {text} is no time of day")
    return time(hour, minute)


def parse_wall_options(data: object) -> WallOptions:
    """The `wall:` section: `alert_hold_seconds` and `night: {from: "HH:MM", to: "HH:MM"}` (or
    `night: off`); what is left out keeps its default."""
    raw = data.get("wall") if isinstance(data, dict) else None
    if raw is None:
        return WallOptions()
    if not isinstance(raw, dict):
        raise LayoutError("wall: a mapping with alert_hold_seconds and night is expected")
    unknown = set(raw) - {"alert_hold_seconds", "night"}
    if unknown:
        raise LayoutError(f"wall: unknown key {sorted(unknown)[0]!r} (alert_hold_seconds, night)")
    hold = raw.get("alert_hold_seconds", DEFAULT_HOLD_S)
    if isinstance(hold, bool) or not isinstance(hold, int) or not MIN_SECONDS <= hold <= MAX_HOLD_S:
        raise LayoutError(
            f"wall.alert_hold_seconds: a whole number from {MIN_SECONDS} to {MAX_HOLD_S} is expected, not {hold!r}"
        )
    night = raw.get("night", {"from": "20:00", "to": "07:00"})
    if night is False:  # YAML's `off`
        return WallOptions(hold, None, None)
    if not isinstance(night, dict) or set(night) != {"from", "to"}:
        raise LayoutError('wall.night: {from: "HH:MM", to: "HH:MM"} or off is expected')
    start, end = _clock(night["from"], "wall.night.from"), _clock(night["to"], "wall.night.to")
    if start == end:
        raise LayoutError("wall.night: from and to are the same time (say off for no night theme)")
    return WallOptions(hold, start, end)


def position(playlist: Playlist, epoch_s: float) -> tuple[int, float]:
    """Which entry shows at `epoch_s` and the seconds it has left: the same answer in every
    window whose clock agrees (assets/87-kiosk.js computes the same in the browser)."""
    into = epoch_s % playlist.round_s
    for index, entry in enumerate(playlist.entries):
        if into < entry.seconds:
            return index, entry.seconds - into
        into -= entry.seconds
    return len(playlist.entries) - 1, 0.0  # not reached: `into` < the round's length


def is_night(options: WallOptions, now: time) -> bool:
    """Whether `now` (the park's local time of day) lies in the night hours; a span past
    midnight (20:00-07:00) wraps."""
    if options.night_from is None or options.night_to is None:
        return False
    start, end = options.night_from, options.night_to
    return start <= now < end if start < end else now >= start or now < end
