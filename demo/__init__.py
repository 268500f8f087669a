"""The deterministic demo park: a Shijiazhuang-ETDZ-like park generated from a seed.

    from demo import generate_park
    park = generate_park(seed=20261124, cases=300_000, now=datetime.now(UTC))

Nothing is read or computed at import; generation reads only the repository's own data files
(demo/data, config/case_types.yaml, config/departments.yaml)."""

from demo.park import DemoPark, generate_park
from demo.spec import ParkSpec

__all__ = ["DemoPark", "ParkSpec", "generate_park"]
