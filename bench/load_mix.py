"""The user mix of bench/load.py, without Locust: who the simulated users are, how often they come
back, and the wall's recorded Dash callback payloads with the time-dependent inputs moved on as a
browser moves them. Kept apart from the locustfile because importing Locust monkey-patches the
process with gevent (a test imports this module, never Locust)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Locust picks each new user's class in proportion to these: mostly walls (the must is about
# them), a few department heads, duty officers and live-stream listeners.
WEIGHTS = {"WallViewer": 90, "DeptHead": 4, "DutyOfficer": 3, "LiveListener": 3}
REFRESH_S = 5.0  # a wall viewer's refresh cycle (issue 14: 200 viewers refreshing every 5 s)
KPI_RANGES = ("today", "week", "month", "quarter", "year")
CALLBACK_PATH = "/_dash-update-component"
MAP_LAYERS_OUTPUT = '"type":"panel-map-layer"'  # the map panel's callback naming its layers' URLs


class PayloadError(Exception):
    """The recorded payload file cannot be replayed; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class WallCapture:
    """One wall layout as a browser loads and refreshes it: `initial` are the callbacks the page
    sends once it is drawn, `refresh` one of each callback its refresh timers send (by output
    and the timers that fired), `fetches` the app's own GETs that follow (the map's layers)."""

    layout: str
    role: str
    initial: tuple[dict[str, Any], ...]
    refresh: tuple[dict[str, Any], ...]
    fetches: tuple[str, ...] = ()
    timers_ms: dict[str, int] | None = None  # each refresh timer's period at normal speed

    @property
    def page(self) -> str:
        return f"/wall/{self.layout}"


def prop_key(component_id: object, prop: str) -> str:
    """Dash's name of a component property in `changedPropIds`: a dict id as JSON with sorted
    keys and no spaces, as the renderer's stringifyId writes it."""
    if isinstance(component_id, dict):
        component_id = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return f"{component_id}.{prop}"


def output_name(payload: dict[str, Any]) -> str:
    """A short name for a callback, from its output: the figure's name in the results."""
    output = str(payload.get("output", "?"))
    triggers = ",".join(p.rsplit(".", 1)[0][-40:] for p in payload.get("changedPropIds", []))
    return f"{output[:80]} <- {triggers}" if triggers else output[:80]


def _check_payload(payload: object, where: str) -> dict[str, Any]:
    if (
        not isinstance(payload, dict)
        or "output" not in payload
        or not isinstance(payload.get("inputs"), list)
    ):
        raise PayloadError(f"{where}: not a Dash callback body (needs 'output' and a list of 'inputs')")
    return payload


def _check_fetch(path: object, where: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise PayloadError(f"{where}: {str(path)[:60]!r} is not a path on the server")
    return path


def _check_timers(timers: object, where: str) -> dict[str, int] | None:
    if timers is None:
        return None
    if (
        not isinstance(timers, dict)
        or not timers
        or not all(isinstance(ms, int) and ms > 0 for ms in timers.values())
    ):
        raise PayloadError(f"{where}: 'timers_ms' must map each timer's id to its period in ms (> 0)")
    return timers


def load_captures(path: Path) -> list[WallCapture]:
    """Read the payloads recorded by bench/load_capture.py. Raises PayloadError naming the file
    and the entry when it is missing, not JSON, or not a list of walls with callback bodies."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PayloadError(f"{path}: cannot read it ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    walls = data.get("walls") if isinstance(data, dict) else None
    if not isinstance(walls, list) or not walls:
        raise PayloadError(f"{path}: needs a non-empty list 'walls'")
    out = []
    for n, wall in enumerate(walls):
        where = f"{path}: walls[{n}]"
        if not isinstance(wall, dict) or not isinstance(wall.get("layout"), str):
            raise PayloadError(f"{where}: needs a 'layout' name")
        refresh = wall.get("refresh")
        if not isinstance(refresh, list) or not refresh:
            raise PayloadError(f"{where} ({wall['layout']}): no refresh callbacks recorded")
        out.append(
            WallCapture(
                layout=wall["layout"],
                role=str(wall.get("role", "viewer")),
                initial=tuple(_check_payload(p, f"{where}.initial") for p in wall.get("initial", [])),
                refresh=tuple(_check_payload(p, f"{where}.refresh") for p in refresh),
                fetches=tuple(_check_fetch(p, f"{where}.fetches") for p in wall.get("fetches", [])),
                timers_ms=_check_timers(wall.get("timers_ms"), where),
            )
        )
    return out


def _inputs(payload: dict[str, Any]):
    """Every input of a body, flattened: a wildcard input (ALL) is a list of inputs."""
    for item in payload.get("inputs", []):
        yield from item if isinstance(item, list) else [item]


def advance(payload: dict[str, Any], ticks: int) -> dict[str, Any]:
    """The body a browser sends `ticks` timer ticks after the recorded one: each triggering
    n_intervals input counts on by `ticks` (the server reads which timer fired, and Dash's
    renderer only ever counts up); the recorded body is left unchanged."""
    body = copy.deepcopy(payload)
    changed = set(body.get("changedPropIds", []))
    for item in _inputs(body):
        if item.get("property") == "n_intervals" and prop_key(item.get("id"), "n_intervals") in changed:
            item["value"] = int(item.get("value") or 0) + ticks
    return body


def timers_of(payload: dict[str, Any]) -> frozenset[str]:
    """The refresh timers whose ticking sent this body."""
    return frozenset(
        p.rsplit(".", 1)[0] for p in payload.get("changedPropIds", []) if p.endswith(".n_intervals")
    )


def due(wall: WallCapture, tick: int, cycle: str) -> list[dict[str, Any]]:
    """The refresh bodies a wall sends at its `tick`-th refresh (from 1). cycle "full": every
    recorded body, every panel redrawn each time (the heaviest reading of "refreshing every 5 s").
    cycle "paced": as the page itself sends them with its fastest timer every REFRESH_S: each
    timer fires on the ticks its period allows (at normal speed 10 s and 60 s: the live counts at
    every tick, the figures at every sixth), and each callback sends the body recorded for the
    timers firing together (or for the most of them it was recorded with)."""
    if cycle == "full" or not wall.timers_ms:
        return list(wall.refresh)
    fastest = min(wall.timers_ms.values())
    firing = {t for t, ms in wall.timers_ms.items() if tick % max(1, round(ms / fastest)) == 0}
    chosen: dict[str, dict[str, Any]] = {}
    for body in wall.refresh:
        timers = timers_of(body)
        best = chosen.get(body["output"])
        if timers and timers <= firing and (best is None or len(timers) > len(timers_of(best))):
            chosen[body["output"]] = body
    return list(chosen.values())


def fetches_due(wall: WallCapture, bodies: list[dict[str, Any]]) -> tuple[str, ...]:
    """The app's GETs that follow these bodies: the map fetches its layers again when its layer
    callback has answered."""
    return wall.fetches if any(MAP_LAYERS_OUTPUT in str(b.get("output")) for b in bodies) else ()
