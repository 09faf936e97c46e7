"""Gunicorn settings shared by the services' ``gunicorn.conf.py``.

Binds to ``KAOPING_HOST`` (default 127.0.0.1, never 0.0.0.0 unless configured) and
``<SERVICE>_PORT``; ``KAOPING_WORKERS`` and ``KAOPING_THREADS`` size the server.
"""

from __future__ import annotations

import gc

from shared.config import env_int, env_str

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
    return {
        "bind": f"{service_host()}:{service_port(service)}",
        "workers": env_int("KAOPING_WORKERS", 2, minimum=1),
        "threads": env_int("KAOPING_THREADS", 4, minimum=1),
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": None,
        "errorlog": "-",
        "proc_name": f"kaoping-{service}",
        "post_worker_init": _freeze_loaded_objects,
    }


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
