"""The checks rows synced from a data-sharing platform pass before they are stored: their contract's
fields (data_sources.validation.validate), then the reference checks every source's enterprises,
figures and chain links pass (data_sources.reference_checks.check_references), against what the
store holds now rather than against a panel's snapshot: a sync stores chain links before the
enterprises that name them, and enterprises before their figures, so the rows just stored count.

Chain links are checked with the store's other links (those the batch does not replace): an
incremental sync sends only the links that changed, whose parents and circles run through links
stored before. Those stored links are not reported: they were checked when they came."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, select

from data_sources.contracts import CONTRACTS
from data_sources.reference_checks import REFERS_TO, Reference, check_references
from data_sources.validation import ValidationResult, validate
from store.models import ChainLink, Enterprise

# the row number given to stored links joining a check: never a row of the batch (numbered from 1)
_STORED = -1


def store_references(engine: Engine, contract: str) -> dict[str, Reference]:
    """The store's current rows of the contracts `contract` refers to (REFERS_TO), with the
    columns the reference checks compare."""
    return {name: Reference(_stored(engine, name)) for name in REFERS_TO.get(contract, ())}


def check_rows(
    frame: pd.DataFrame, contract: str, source: str, engine: Engine, today: date
) -> ValidationResult:
    """`frame` (rows of `contract` from `source`, indexed by their numbers) checked: the good
    rows (index 0..n-1) and every rejection, numbered as the frame numbers its rows."""
    result = validate(frame, CONTRACTS[contract], source)
    if contract == "chains":
        return _check_links(result, source, _stored(engine, "chains"), today)
    return check_references(result, contract, source, store_references(engine, contract), today)


def _check_links(
    result: ValidationResult, source: str, stored: pd.DataFrame, today: date
) -> ValidationResult:
    good = result.good
    sent = pd.MultiIndex.from_frame(good[["chain", "link"]].astype(object))
    others = stored[~pd.MultiIndex.from_frame(stored[["chain", "link"]]).isin(sent)]
    rows = result.rows or list(range(len(good)))
    together = ValidationResult(
        pd.concat([good, others], ignore_index=True), result.rejections, rows + [_STORED] * len(others)
    )
    checked = check_references(together, "chains", source, {}, today)
    ours = [row != _STORED for row in checked.rows]
    return ValidationResult(
        checked.good[ours].reset_index(drop=True),
        [r for r in checked.rejections if r.row != _STORED],
        [row for row in checked.rows if row != _STORED],
    )


def _stored(engine: Engine, contract: str) -> pd.DataFrame:
    if contract == "chains":
        columns = [ChainLink.chain, ChainLink.link, ChainLink.parent_link]
    elif contract == "enterprises":
        columns = [Enterprise.id]
    else:
        raise ValueError(f"no reference rows of {contract!r}")
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
    return pd.DataFrame(rows, columns=[c.key for c in columns], dtype=object)
