"""Gunicorn settings shared by the services' ``gunicorn.conf.py``.

Binds to ``KAOPING_HOST`` (default 127.0.0.1, never 0.0.0.0 unless configured) and
``<SERVICE>_PORT``; ``KAOPING_WORKERS`` and ``KAOPING_THREADS`` size the server.

Metrics: the workers share ``var/metrics/<service>-<port>/`` (``PROMETHEUS_MULTIPROC_DIR``,
prometheus_client's multiprocess mode, see ``shared.metrics``). It is emptied when the
master starts, and the master tells prometheus_client when a worker has exited.

The app is loaded once in the master (``preload_app``) and each worker is a fork of
it: a worker that dies (SIGKILL, out of memory) is replaced in milliseconds instead of
the seconds an import of the app takes (5–14 s on a busy 2-core machine, measured by
``bench/chaos.py``; while every worker of a service was importing, it answered nothing).
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

from shared.config import env_int, env_str, var_dir

DEFAULT_PORTS = {"survey": 5001, "scoring": 5002, "inspection": 5003, "portal": 5004}


def service_host() -> str:
    return env_str("KAOPING_HOST", "127.0.0.1")


def service_port(service: str) -> int:
    return env_int(f"{service.upper()}_PORT", DEFAULT_PORTS[service], minimum=1)


def service_url(service: str) -> str:
    """Where the other services reach ``service`` (``<SERVICE>_URL``)."""
    host = service_host()
    host = "127.0.0.1" if host == "0.0.0.0" else host
    return env_str(f"{service.upper()}_URL", f"http://{host}:{service_port(service)}")


def settings_for(service: str) -> dict:
    port = service_port(service)
    # One folder per server: two of a service on one host (other ports) never mix samples.
    metrics_dir = var_dir() / "metrics" / f"{service}-{port}"
    # With preload_app the master imports prometheus_client (and creates its metrics)
    # before any hook runs, so the folder must exist already; on_starting empties it.
    metrics_dir.mkdir(parents=True, exist_ok=True)
    return {
        "bind": f"{service_host()}:{port}",
        "workers": env_int("KAOPING_WORKERS", 2, minimum=1),
        "threads": env_int("KAOPING_THREADS", 4, minimum=1),
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "logconfig_dict": json_logging(service),
        "proc_name": f"kaoping-{service}",
        "preload_app": True,
        "post_fork": _own_connections,
        "post_worker_init": _freeze_loaded_objects,
        # prometheus_client chooses where samples live when a process first imports it:
        # gunicorn sets raw_env in the master before any worker loads the app.
        "raw_env": [f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}"],
        "on_starting": lambda _server: empty_metrics_dir(metrics_dir),
        "child_exit": lambda _server, worker: forget_worker_metrics(worker.pid, metrics_dir),
    }


def empty_metrics_dir(path: Path) -> None:
    """Start the samples afresh: files of a previous run's workers would add to ours."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


def forget_worker_metrics(pid: int, path: Path) -> None:
    """An exited worker's live gauges go; its counters and histograms stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(path))


def json_logging(service: str) -> dict:
    """Gunicorn's own log (worker boots, timeouts, errors outside the app) as the same
    JSON lines on stderr as the services' logs."""
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    logger = {"level": "INFO", "handlers": ["stderr"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.logs.JsonFormatter", "service": service}},
        "handlers": {"stderr": handler},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": logger, "gunicorn.access": logger},
    }


def _own_connections(server, _worker) -> None:
    """A forked worker must not use pooled connections the master may hold (two
    processes on one socket): drop them from the worker's pool without closing them."""
    state = getattr(server.app.wsgi(), "extensions", {}).get("kaoping")
    if state is not None:
        state.engine.dispose(close=False)


# Young-generation collections every 20,000 net allocations instead of 700: a request
# allocates thousands of short-lived objects, and collecting them sooner only costs time.
GC_THRESHOLDS = (20_000, 20, 20)


def _freeze_loaded_objects(_worker) -> None:
    """Move everything the loaded app holds (modules, SQLAlchemy mappers, compiled
    statements) out of the garbage collector's reach: full collections then scan only
    what requests allocate, which keeps their pauses short (tail latency)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
