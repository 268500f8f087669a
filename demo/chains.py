"""The park's industrial chains (demo/data/chains.yaml) over the GB/T 4754-2017 classes
(domain/industry_classes.py, reference data rather than demo data)."""

from __future__ import annotations

import functools

import pandas as pd

from demo.files import DATA_DIR, read_yaml
from domain.industry_classes import industry_classes


@functools.cache
def _raw() -> dict:
    return read_yaml(DATA_DIR / "chains.yaml")


def chain_links() -> pd.DataFrame:
    """One row per link: the chains contract's columns plus chain names, the chain's share of
    chain enterprises, the link's classes (tuple), weight and target (filled, weak, empty).

    Raises ValueError when a class is unknown or claimed by two links."""
    rows = []
    for chain, spec in _raw()["chains"].items():
        for link in spec["links"]:
            rows.append(
                {
                    "chain": chain,
                    "link": link["id"],
                    "stage": link["stage"],
                    "parent_link": link.get("parent"),
                    "name": link["zh"],
                    "name_en": link["en"],
                    "chain_name": spec["zh"],
                    "chain_name_en": spec["en"],
                    "chain_share": float(spec["share"]),
                    "codes": tuple(link["codes"]),
                    "weight": float(link.get("weight", 1)),
                    "target": link.get("target", "filled"),
                }
            )
    links = pd.DataFrame(rows)
    known = set(industry_classes()["code"])
    claimed = [c for codes in links["codes"] for c in codes]
    unknown = sorted(set(claimed) - known)
    twice = sorted({c for c in claimed if claimed.count(c) > 1})
    if unknown or twice:
        raise ValueError(f"chain classes unknown to GB/T 4754-2017: {unknown}; in two links: {twice}")
    return links


def other_industries() -> list[tuple[tuple[str, ...], float]]:
    """Classes of the park's enterprises outside the chains, as (classes, weight) groups."""
    return [(tuple(g["codes"]), float(g["weight"])) for g in _raw()["others"]]
