"""The folder where gunicorn's workers keep their metrics (prometheus-client's multiprocess
mode), so that a scrape answered by any worker sums them all.

Called by gunicorn's master (config/gunicorn.conf.py) before it forks a worker: the variable must
be set before prometheus_client is first imported in a worker, which then writes its figures
there. The folder is emptied at each master start (files left by a previous run's workers would
be summed in); a worker that exits has its live gauges dropped (mark_dead, child_exit). Its name
carries the address the master listens on: two servers on one host sharing a data folder (two
nodes behind one proxy) each keep, clear and sum their own workers' figures."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
FOLDER = "prometheus-multiproc"


def folder_for(data_dir: Path, bind: str) -> Path:
    """The metrics folder of the server listening on `bind` ("127.0.0.1:8050", "unix:/run/x")."""
    return Path(data_dir) / f"{FOLDER}-{re.sub(r'[^A-Za-z0-9.]+', '_', bind).strip('_')}"


def prepare_folder(data_dir: Path, bind: str) -> Path:
    """Create (or empty) the metrics folder of the server on `bind` and point the variable at it."""
    folder = folder_for(data_dir, bind)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ[ENV] = str(folder)
    return folder


def mark_dead(pid: int) -> None:
    """Drop the figures of worker `pid` that only count while it lives (live stream clients)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess  # late: after the variable is set

        multiprocess.mark_process_dead(pid)
