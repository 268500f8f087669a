"""Enterprise size classes as Chinese statistics draw them (统计上大中小微型企业划分办法（2017）,
国统字〔2017〕213号): by sector, from the number of employees (从业人员) and operating revenue
(营业收入, 10,000 yuan). A class needs every one of its thresholds; a firm meeting none of the
small class's is micro. Where the rule also asks for total assets (construction, real estate,
leasing and business services), which the enterprise figures do not carry, the other measures
decide. Policies (domain/policies.py) use these classes: "small and medium enterprises" is
the most common criterion of a park's support policies."""

from __future__ import annotations

import pandas as pd

SIZES = ("large", "medium", "small", "micro")

# (GB/T 4754-2017 division prefixes, ((employees, revenue) for large, medium, small)); a None
# threshold does not apply. First match wins; the last row covers every other sector.
# fmt: off
_SECTORS: tuple[tuple[tuple[str, ...], tuple[tuple[float | None, float | None], ...]], ...] = (
    # industry: mining, manufacturing, power, gas and water (divisions 06–46)
    (tuple(f"{d:02d}" for d in range(6, 47)), ((1000, 40000), (300, 2000), (20, 300))),
    (("47", "48", "49", "50"), ((None, 80000), (None, 6000), (None, 300))),        # construction
    (("51",), ((200, 40000), (20, 5000), (5, 1000))),                             # wholesale
    (("52",), ((300, 20000), (50, 500), (10, 100))),                              # retail
    (("59",), ((200, 30000), (100, 1000), (20, 100))),                            # storage
    (("60",), ((300, 30000), (100, 2000), (20, 100))),                            # post
    (("53", "54", "55", "56", "57", "58"), ((1000, 30000), (300, 3000), (20, 200))),  # transport
    (("61",), ((300, 10000), (100, 2000), (10, 100))),                            # accommodation
    (("62",), ((300, 10000), (100, 2000), (10, 100))),                            # catering
    (("63", "64"), ((2000, 100000), (100, 1000), (10, 100))),                     # telecoms, internet
    (("65",), ((300, 10000), (100, 1000), (10, 50))),                             # software and IT services
    (("7010",), ((None, 200000), (None, 1000), (None, 100))),                     # real-estate development
    (("7020",), ((1000, 5000), (300, 1000), (100, 500))),                         # property management
    (("71", "72"), ((300, None), (100, None), (10, None))),                       # leasing, business services
    ((), ((300, None), (100, None), (10, None))),                                 # every other sector
)
# fmt: on


def _meets(employees: float, revenue: float, bar: tuple[float | None, float | None]) -> bool:
    people, money = bar
    return (people is None or employees >= people) and (money is None or revenue >= money)


def _missing(value: object) -> bool:
    """None, NaN or pandas' NA: figures read from the store come as nullable integers, whose
    missing value is pd.NA (float(pd.NA) raises), not NaN."""
    return value is None or bool(pd.isna(value))


def size_class(industry_code: str, employees: float | None, revenue: float | None) -> str | None:
    """large, medium, small or micro; None when a measure the sector's rule needs is missing."""
    bars = next(b for prefixes, b in _SECTORS if not prefixes or industry_code.startswith(prefixes))
    needs_people = any(p is not None for p, _ in bars)
    needs_money = any(m is not None for _, m in bars)
    if (needs_people and _missing(employees)) or (needs_money and _missing(revenue)):
        return None
    people = 0.0 if _missing(employees) else float(employees)  # type: ignore[arg-type]
    money = 0.0 if _missing(revenue) else float(revenue)  # type: ignore[arg-type]
    for size, bar in zip(SIZES, bars, strict=False):
        if _meets(people, money, bar):
            return size
    return "micro"
