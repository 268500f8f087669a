"""A wall's cells drawn once for every screen showing them (services/rendered_cells.py): one
drawing per key while it is kept, shared by concurrent askers, drawn again after RENDER_TTL_S or
for another moment; readers with other permissions or another scope never share a drawing."""

from __future__ import annotations

import threading
import time

import pytest

from security.principal import Principal
from security.roles import Role
from security.scope import Scope
from services import rendered_cells
from services.rendered_cells import RENDER_TTL_S, reader, rendered


def _counting():
    drawn: list[int] = []

    def build():
        drawn.append(1)
        time.sleep(0.05)  # long enough for a second asker to arrive while it draws
        return {"drawing": len(drawn)}

    return drawn, build


def test_one_drawing_per_key_shared_by_concurrent_askers():
    drawn, build = _counting()
    results: list[dict] = []
    threads = [threading.Thread(target=lambda: results.append(rendered("t1:cell", build))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == 1 and all(r is results[0] for r in results)
    assert rendered("t1:cell@another-moment", build) == {"drawing": 2}


def test_a_drawing_is_drawn_again_once_it_is_older_than_its_ttl(monkeypatch):
    drawn, build = _counting()
    clock = [1000.0]
    monkeypatch.setattr(rendered_cells.time, "monotonic", lambda: clock[0])
    rendered("t2:cell", build)
    clock[0] += RENDER_TTL_S - 0.1
    rendered("t2:cell", build)
    assert len(drawn) == 1
    clock[0] += 0.2
    rendered("t2:cell", build)
    assert len(drawn) == 2


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ((Role.LEADER,), (Role.VIEWER,)),  # a viewer's strip counts alerts, a leader's names them
        ((Role.DEPARTMENT_HEAD,), (Role.LEADER,)),
    ],
)
def test_readers_who_may_see_different_things_never_share_a_drawing(one, other):
    first = Principal("user", "a", "A", one)
    second = Principal("user", "b", "B", other)
    assert reader(first, Scope(None)) != reader(second, Scope(None))
    assert reader(first, Scope("market")) != reader(first, Scope(None))
    assert reader(first, Scope(None)) == reader(Principal("user", "c", "C", one), Scope(None))


def test_drawings_of_past_moments_are_dropped_as_new_ones_come(monkeypatch):
    _drawn, build = _counting()
    clock = [5000.0]
    monkeypatch.setattr(rendered_cells.time, "monotonic", lambda: clock[0])
    for n in range(5):
        rendered(f"t3:cell@{n}", build)
        clock[0] += RENDER_TTL_S + 1
    assert not [k for k in rendered_cells._cells if k.startswith("t3:") and k != "t3:cell@4"]


def test_a_first_drawing_takes_a_recent_one_of_the_same_data_but_never_of_other_data(monkeypatch):
    """A page's first drawing (reuse_s) may be of an earlier time bucket while the data versions
    are the same and it is young enough; a refresh (no reuse_s) and a write draw anew."""
    drawn, build = _counting()
    clock = [9000.0]
    monkeypatch.setattr(rendered_cells.time, "monotonic", lambda: clock[0])
    first = rendered("t4:cell:alerts:1,cases:7@100", build)
    clock[0] += RENDER_TTL_S + 1  # the next time bucket
    assert rendered("t4:cell:alerts:1,cases:7@101", build, reuse_s=10) is first
    assert len(drawn) == 1
    assert rendered("t4:cell:alerts:1,cases:8@101", build, reuse_s=10) == {"drawing": 2}  # a write
    clock[0] += 0.5
    assert rendered("t4:cell:alerts:1,cases:7@101", build) == {"drawing": 3}  # a refresh: anew
    clock[0] += 11  # older than reuse_s: drawn anew
    assert rendered("t4:cell:alerts:1,cases:7@103", build, reuse_s=10) == {"drawing": 4}
    assert rendered("t4:other:alerts:1,cases:7@103", build, reuse_s=10) == {"drawing": 5}  # another cell
