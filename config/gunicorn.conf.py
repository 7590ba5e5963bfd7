"""gunicorn settings for AOCP: `gunicorn -c config/gunicorn.conf.py app:app` (add --workers, --bind…).

gunicorn's own error log is written in AOCP's log format (AOCP_LOG_FORMAT, json in production); its
access log stays off because AOCP writes one access line per request with the request's id. gunicorn would
still gather the fields of its own line on every request (it does whenever a log configuration is given) only to
drop it: its logger skips that (8 % of a health check's time under gunicorn).

With PROMETHEUS_MULTIPROC_DIR set (an empty directory the workers may write), every worker records
its metrics in files there and /metrics adds them up: the directory is emptied when gunicorn starts,
and a worker that exits is marked dead.

Each worker freezes what it holds once the app is loaded (gc.freeze): the modules, templates and SQL caches
live as long as the worker, and a full garbage collection would otherwise walk them all again (pauses of
100-300 ms under load at scale 1; a search's p99 on one connection went from 114 to 34 ms).
"""
import gc
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # gunicorn reads this file before the app

# Names at the top of this file are read as gunicorn settings (`config` is one): import under other names.
from gunicorn.glogging import Logger as GunicornLogger  # noqa: E402

from aocp.logs import gunicorn_logconfig  # noqa: E402
from config import load as load_settings  # noqa: E402

logconfig_dict = gunicorn_logconfig(load_settings()["LOG_FORMAT"])


class NoAccessLineLogger(GunicornLogger):
    def access(self, resp, req, environ, request_time):
        pass  # AOCP writes the access line (aocp.logs)


logger_class = NoAccessLineLogger


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # Values left by an earlier run would be added to this one's.
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    gc.collect()  # what start-up left behind is garbage, not worth keeping for the worker's life
    gc.freeze()
