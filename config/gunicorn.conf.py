"""gunicorn settings for `make run` and production.

Threaded workers (gthread): live push streams (server-sent events) hold a connection open, and
two open streams blocked two sync workers completely (FIELD_NOTES.md). WEB_CONCURRENCY sets
the number of worker processes (one in the embedded profile, about one per core in production)."""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    from app import serving_banner, start_background

    start_background(worker.wsgi)
    if worker.age == 1:  # the first worker to boot says it once; its app is built and answering
        print(serving_banner(worker.wsgi, list(worker.cfg.bind)), flush=True)
