"""gunicorn settings for `make run` and production.

Threaded workers (gthread): live push streams (server-sent events) hold a connection open, and
two open streams blocked two sync workers completely (FIELD_NOTES.md). WEB_CONCURRENCY sets
the number of worker processes (one in the embedded profile, about one per core in production).
Each process answers requests with GUNICORN_THREADS threads plus `live_streams_max` more (the
setting): a process holds at most that many streams open (live/stream.py answers 503 beyond),
so open streams never take the threads callbacks need. A worker told to stop (SIGTERM) ends its
streams at once; the browsers reconnect to another worker or the restarted one and catch up."""

import os
import signal

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
# gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl), unlinked and bound
# anew by each server that starts: a second one (another web node, a test's) takes it from the
# first, and removes it when it stops. Nothing here uses it.
control_socket_disable = True


def _streams_max() -> int:
    from config.settings import Settings, SettingsError, load_settings

    try:
        return load_settings().live_streams_max
    except SettingsError:  # the app says what is wrong when it is built; no traceback from here
        return Settings.model_fields["live_streams_max"].default


threads = int(os.environ.get("GUNICORN_THREADS", "8")) + _streams_max()
timeout = 60
graceful_timeout = 20
keepalive = 5


def _log_format() -> str:
    from config.settings import SettingsError, load_settings

    try:
        return load_settings().log_format
    except SettingsError:
        return "text"


# json: the app writes each request's access line with its id (ops/logs.py); gunicorn's would double it
accesslog = None if _log_format() == "json" else "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def on_starting(server):
    """Before any worker: the metrics folder the workers share (emptied; ops/multiproc.py) and
    the log lines' format, which the forked workers inherit (ops/logs.py)."""
    from config.settings import SettingsError, load_settings
    from ops.logs import configure_logging
    from ops.multiproc import prepare_folder

    try:
        settings = load_settings()
    except SettingsError:  # the app says what is wrong when a worker builds it
        return
    prepare_folder(settings.data_dir, ",".join(server.cfg.bind))  # one folder per listening server
    configure_logging(settings)


def child_exit(server, worker):
    from ops.multiproc import mark_dead

    mark_dead(worker.pid)  # its live gauges (open streams) no longer count


def post_worker_init(worker):
    from app import serving_banner, start_background

    start_background(worker.wsgi)
    _end_streams_on_exit(worker)
    if worker.age == 1:  # the first worker to boot says it once; its app is built and answering
        print(serving_banner(worker.wsgi, list(worker.cfg.bind)), flush=True)


def _end_streams_on_exit(worker):
    """Chain gunicorn's SIGTERM handler: first end the live streams (each finishes its response),
    so the worker does not wait out graceful_timeout for them."""
    from live.stream import close_live

    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        close_live(worker.wsgi)
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)
