"""Gunicorn settings for `applylens serve --workers N` (N > 1).

`applylens serve` starts gunicorn with this module as its configuration and
with PROMETHEUS_MULTIPROC_DIR already set in the environment, so that every
worker writes its metrics to that directory from its first import on.
"""

from __future__ import annotations

import os
from typing import Any

from applylens.observability.metrics import mark_worker_dead

worker_class = "applylens.api.worker.ApplyLensWorker"
bind = os.environ.get("APPLYLENS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("APPLYLENS_WORKERS", "2"))
# Streams stay open for as long as an answer takes; a graceful stop waits at
# most this long for them.
graceful_timeout = 10
timeout = 60
keepalive = 5
accesslog = None

logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
        }
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "applylens": {"level": os.environ.get("APPLYLENS_LOG_LEVEL", "INFO")},
        "gunicorn.error": {"level": "INFO"},
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
}


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live gauges of a worker that exited from later scrapes."""
    mark_worker_dead(worker.pid)
