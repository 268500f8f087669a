"""Benchmark: `flask cases import-csv` on a generated 12345 hotline export (GB18030, Chinese
headers, config/imports/hotline_12345.yaml) into SQLite: the whole run (read, decode, parse,
map, check, upsert, events, audit, a checkpoint per chunk), new cases, then the same file again
(every case updated). Prints one figure a line as `name: value unit`; asserts nothing.

usage: .venv/bin/python bench/bench_csv_import.py [--rows 100000] [--keep DIR]"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from config.settings import ROOT, load_settings  # noqa: E402

MAPPING = ROOT / "config" / "imports" / "hotline_12345.yaml"
HEADER = ["工单编号", "来电时间", "来电人", "联系电话", "诉求类型", "诉求内容", "所属街道", "所属网格", "事发地址",
          "承办单位", "办理状态", "办结时间", "回访时间", "满意度"]  # fmt: skip


def write_export(path: Path, rows: int, cells: list[str], mapping) -> None:
    """`rows` work orders of the last 30 days, GB18030, as the hotline platform exports them."""
    rng = np.random.default_rng(20261206)
    types = list(mapping.values["case_type"].map)
    units = list(mapping.values["department"].map)
    start = datetime(2026, 11, 1, 8, 0)  # noqa: DTZ001 - the export's naive local time
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        at = start + timedelta(seconds=int(rng.integers(0, 30 * 86400)))
        kind = types[int(rng.integers(len(types)))]
        done = rng.random() < 0.6
        writer.writerow([
            f"GD{at:%Y%m%d}{n:07d}", f"{at:%Y/%m/%d %H:%M:%S}", "市民", "138****0000", kind,
            f"来电反映：{kind}，位置在第{n % 97 + 1}号楼附近，请尽快处理。", "金桥街道",
            cells[int(rng.integers(len(cells)))], f"聚贤路{n % 300 + 1}号附近", units[int(rng.integers(len(units)))],
            "已办结" if done else "已受理", f"{at + timedelta(hours=20):%Y/%m/%d %H:%M:%S}" if done else "", "", "",
        ])  # fmt: skip
    path.write_bytes(out.getvalue().encode("gb18030"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="a folder for the store and the file, kept")
    args = parser.parse_args()
    from app import build_dash
    from data_sources.case_mapping import CsvCaseMapping, load_mapping
    from services.csv_import import import_csv
    from store.models import GridCell

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-csv-"))
    try:
        server = build_dash(load_settings(data_dir=folder, demo_cases=300, demo_live=False)).server
        engine = server.extensions["onescreen"].engine
        with engine.connect() as c:
            cells = list(c.execute(select(GridCell.id)).scalars())
        mapping = load_mapping(MAPPING, CsvCaseMapping)
        path = folder / "hotline_export.csv"
        write_export(path, args.rows, cells, mapping)
        print(f"csv_import_file: {args.rows} rows, {path.stat().st_size / 2**20:.1f} MiB", flush=True)
        for label in ("new", "again"):
            with server.app_context():
                began = time.perf_counter()
                result = import_csv(path, mapping, actor="bench")
                seconds = time.perf_counter() - began
            report = result.report
            done = report.imported + report.updated
            print(f"csv_import_sqlite_{label}_rate: {done / seconds:.0f} rows/s")
            print(f"csv_import_sqlite_{label}_seconds: {seconds:.1f} s")
            print(f"csv_import_sqlite_{label}_counts: {report.summary}", flush=True)
        print(f"csv_import_at: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
