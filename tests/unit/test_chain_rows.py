"""Industry-chain links judged as a batch: shared link ids, parents that are no link, circles."""

from __future__ import annotations

from domain.chain_rows import LinkRow, link_problems, parent_cycles


def test_a_sound_tree_has_no_problem() -> None:
    rows = [LinkRow("bio", "bio.a", None), LinkRow("bio", "bio.b", "bio.a"), LinkRow("bio", "bio.c", "bio.b")]
    assert link_problems(rows) == {}


def test_a_two_link_circle_rejects_both_with_the_circle_read_from_each() -> None:
    rows = [
        LinkRow("bio", "bio.root", None),
        LinkRow("bio", "bio.a", "bio.b"),
        LinkRow("bio", "bio.b", "bio.a"),
    ]
    assert link_problems(rows) == {
        1: ("parent", "parent links go round in a circle: bio.a → bio.b → bio.a"),
        2: ("parent", "parent links go round in a circle: bio.b → bio.a → bio.b"),
    }


def test_a_link_that_is_its_own_parent_is_a_circle_of_one() -> None:
    problems = link_problems([LinkRow("bio", "bio.a", "bio.a"), LinkRow("bio", "bio.b", None)])
    assert problems == {0: ("parent", "parent links go round in a circle: bio.a → bio.a")}


def test_a_parent_that_is_no_link_of_the_chain_and_the_tree_below_it() -> None:
    rows = [
        LinkRow("bio", "bio.a", None),
        LinkRow("bio", "bio.b", "bio.nowhere"),
        LinkRow("bio", "bio.c", "bio.b"),  # fine itself, but it hangs from a rejected link
        LinkRow("ei", "ei.x", "bio.a"),  # a link of another chain is no parent
    ]
    assert link_problems(rows) == {
        1: ("parent", "parent link 'bio.nowhere' is no link of chain 'bio'"),
        2: ("parent", "parent link 'bio.b' was rejected, so this link hangs from nothing"),
        3: ("parent", "parent link 'bio.a' is no link of chain 'ei'"),
    }


def test_a_link_hung_from_a_circle_is_cut_off_with_it() -> None:
    rows = [
        LinkRow("bio", "bio.a", "bio.b"),
        LinkRow("bio", "bio.b", "bio.a"),
        LinkRow("bio", "bio.c", "bio.a"),
    ]
    problems = link_problems(rows)
    assert problems[2] == ("parent", "parent link 'bio.a' was rejected, so this link hangs from nothing")
    assert set(problems) == {0, 1, 2}


def test_a_link_id_in_two_chains_is_rejected_in_both() -> None:
    rows = [LinkRow("bio", "shared", None), LinkRow("ei", "shared", None), LinkRow("ei", "ei.b", None)]
    reason = (
        "link id 'shared' is used by more than one chain (bio, ei); enterprises name their link by id alone"
    )
    assert link_problems(rows) == {0: ("link", reason), 1: ("link", reason)}


def test_cycles_are_found_once_however_the_walk_enters_them() -> None:
    parents: dict[str, str | None] = {"d": "a", "a": "b", "b": "c", "c": "a", "e": None, "f": "f"}
    cycles = parent_cycles(parents)
    assert sorted(sorted(c) for c in cycles) == [["a", "b", "c"], ["f"]]
