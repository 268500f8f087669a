"""Peak resident memory (VmHWM) of a gunicorn worker serving a large cases store, after the
pages and case reads a visitor makes: /, /cases, /api/v1/cases and one case (issue 11: no
serving process holds a whole large contract). The worker's background reads (the start-up
prefetch, the header's freshness) are given `--settle` seconds to finish before it is measured.

    ONESCREEN_DATA_DIR is not read: pass the store's directory.
    .venv/bin/python bench/bench_case_reads.py --data-dir /tmp/c1m --cases 1000000

Prints `name: value unit` lines."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.kpi_serving import Server, peak_rss_mib, signed_in  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--settle", type=float, default=60.0, help="seconds for background reads")
    parser.add_argument("--label", default="case_reads")
    parser.add_argument("--log", type=Path, default=Path("/tmp/bench_case_reads.log"))
    args = parser.parse_args()
    server = Server(args.data_dir, None, args.cases, workers=1, log=args.log)
    try:
        print(f"{args.label}_boot: {server.wait(900):.1f} s", flush=True)
        session = signed_in(server.base)
        for path in ("/", "/cases"):
            began = time.perf_counter()
            status = session.get(f"{server.base}{path}", timeout=300).status_code
            print(f"{args.label}_get_{path.strip('/') or 'overview'}: {status} http "
                  f"{(time.perf_counter() - began) * 1000:.0f} ms", flush=True)  # fmt: skip
        began = time.perf_counter()
        page = session.get(f"{server.base}/api/v1/cases?limit=100", timeout=300)
        page.raise_for_status()
        body = page.json()
        print(f"{args.label}_api_cases_ms: {(time.perf_counter() - began) * 1000:.0f} ms")
        print(f"{args.label}_api_cases_total: {body['total']} cases")
        began = time.perf_counter()
        one = session.get(f"{server.base}/api/v1/cases/{body['items'][0]['id']}", timeout=300)
        print(f"{args.label}_api_case_detail: {one.status_code} http "
              f"{(time.perf_counter() - began) * 1000:.0f} ms", flush=True)  # fmt: skip
        time.sleep(args.settle)
        session.get(f"{server.base}/api/v1/cases?limit=100&offset=100", timeout=300).raise_for_status()
        peaks = [peak_rss_mib(pid) for pid in server.workers()]
        print(f"{args.label}_worker_peak_rss: {max(peaks):.0f} MiB", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
