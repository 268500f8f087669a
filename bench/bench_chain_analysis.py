"""How long the chain view takes to compute (services/chains.py computes it once per change of the
chains, enterprises and enterprise-figures data): every enterprise's facts, every link's figures
and status, the ranked targets, the chain summary and economy, and policy matching over them,
for the demo park's 2,000 enterprises and for the same park repeated to 20,000 and 100,000 (a
county's worth). One figure a line: `name: value unit`.

usage: python bench/bench_chain_analysis.py [--rounds 7]"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.chains import chain_links  # noqa: E402
from demo.park import generate_park  # noqa: E402
from domain.chain_analysis import GapRules, chain_economy, chain_summary, link_figures, targets  # noqa: E402
from domain.enterprise_facts import enterprise_facts  # noqa: E402
from domain.policies import evaluate  # noqa: E402
from services.policies import load_policies  # noqa: E402

TODAY = date(2026, 12, 7)


def _repeat(firms: pd.DataFrame, figures: pd.DataFrame, times: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The park's enterprises `times` over, each copy under new ids (the same links and figures)."""
    parts, figs = [], []
    for k in range(times):
        parts.append(firms.assign(id=firms["id"] + f"-{k}"))
        figs.append(figures.assign(enterprise_id=figures["enterprise_id"] + f"-{k}"))
    return pd.concat(parts, ignore_index=True), pd.concat(figs, ignore_index=True)


def _timed(fn, rounds: int) -> tuple[float, float]:
    spans = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        spans.append((time.perf_counter() - start) * 1000)
    spans.sort()
    return statistics.median(spans), spans[min(len(spans) - 1, int(0.95 * len(spans)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    park = generate_park(cases=100, now=datetime(2026, 12, 7, 8, tzinfo=UTC))
    links = chain_links()
    book = load_policies(Path(__file__).resolve().parent.parent / "config" / "policies.yaml")
    rules = GapRules()
    for times in (1, 10, 50):
        firms, figures = _repeat(park.enterprises, park.enterprise_figures, times)
        n = len(firms)

        def view(firms=firms, figures=figures):
            facts = enterprise_facts(firms, figures, links, TODAY)
            per_link = link_figures(links, facts, rules)
            return facts, per_link, targets(per_link, rules), chain_summary(per_link), chain_economy(facts)

        p50, p95 = _timed(view, args.rounds)
        print(f"chain_view_{n}_enterprises_p50: {p50:.1f} ms")
        print(f"chain_view_{n}_enterprises_p95: {p95:.1f} ms")
        facts, per_link, *_ = view()
        p50, p95 = _timed(lambda facts=facts, per_link=per_link: evaluate(book, facts, per_link), args.rounds)
        print(f"policy_matching_{n}_enterprises_{len(book.policies)}_policies_p50: {p50:.1f} ms")
        print(f"policy_matching_{n}_enterprises_{len(book.policies)}_policies_p95: {p95:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
