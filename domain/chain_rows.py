"""What is wrong with a batch of industry-chain links as a whole, beyond each row's own fields:
a link id two chains use (enterprises name their link by id alone, so it would be ambiguous), a
parent link that is no link of the same chain, and parent links that go round in a circle.

Pure logic over (chain, link, parent) triples, so the checks on a source's read
(data_sources/reference_checks.py) and any other reader of links share one answer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# What a problem is about: the row's own link id, or its parent link
Part = Literal["link", "parent"]


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One link as a batch has it: the chain it belongs to, its id and its parent's id (None for
    a link no other link feeds, an upstream root)."""

    chain: str
    link: str
    parent: str | None


def link_problems(rows: Sequence[LinkRow]) -> dict[int, tuple[Part, str]]:
    """The problem of each row that has one, by its position in `rows`, as (what it is about,
    the reason in words): the first that applies
    of (1) its link id is used by more than one chain, (2) its parent links go round in a circle
    (every link of the circle gets the circle, read from itself), (3) its parent is no link of
    its chain, (4) its parent is a link rejected for one of these (the tree below a bad link is
    cut off rather than hung from nothing). Rows are assumed unique per (chain, link), as the
    chains contract's key makes them; a repeated pair is judged by its first row."""
    problems = _shared_ids(rows)
    # each chain's tree among the rows still standing: link → (parent, position)
    trees: dict[str, dict[str, tuple[str | None, int]]] = defaultdict(dict)
    for position, row in enumerate(rows):
        if position not in problems:
            trees[row.chain].setdefault(row.link, (row.parent, position))
    for chain, tree in trees.items():
        problems.update(_tree_problems(chain, tree))
    return problems


def _shared_ids(rows: Sequence[LinkRow]) -> dict[int, tuple[Part, str]]:
    chains_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        chains_of[row.link].add(row.chain)
    return {
        position: (
            "link",
            f"link id {row.link!r} is used by more than one chain ({', '.join(sorted(chains_of[row.link]))}); "
            "enterprises name their link by id alone",
        )
        for position, row in enumerate(rows)
        if len(chains_of[row.link]) > 1
    }


def _tree_problems(chain: str, tree: dict[str, tuple[str | None, int]]) -> dict[int, tuple[Part, str]]:
    problems: dict[int, tuple[Part, str]] = {}
    for cycle in parent_cycles({link: parent for link, (parent, _) in tree.items()}):
        for at, link in enumerate(cycle):
            walk = cycle[at:] + cycle[:at] + [link]
            problems[tree[link][1]] = ("parent", f"parent links go round in a circle: {' → '.join(walk)}")
    bad = {link for link, (_, position) in tree.items() if position in problems}
    # below the bad links, top down: a link whose parent is missing or bad is cut off too
    changed = True
    while changed:
        changed = False
        for link, (parent, position) in tree.items():
            if link in bad or parent is None:
                continue
            if parent not in tree:
                problems[position] = ("parent", f"parent link {parent!r} is no link of chain {chain!r}")
            elif parent in bad:
                problems[position] = (
                    "parent",
                    f"parent link {parent!r} was rejected, so this link hangs from nothing",
                )
            else:
                continue
            bad.add(link)
            changed = True
    return problems


def parent_cycles(parents: dict[str, str | None]) -> list[list[str]]:
    """Every circle of parent links in one chain (each link has at most one parent, so circles
    never share a link), each as its links in parent order from the one seen first; a link that
    is its own parent is a circle of one. Parents that are not links end a walk."""
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in parents:
        path: list[str] = []
        on_path: dict[str, int] = {}
        link: str | None = start
        while link is not None and link in parents and link not in done:
            if link in on_path:
                cycles.append(path[on_path[link] :])
                break
            on_path[link] = len(path)
            path.append(link)
            link = parents[link]
        done.update(path)
    return cycles
