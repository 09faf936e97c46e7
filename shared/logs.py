"""Structured JSON logs carrying the request id.

The request id comes from ``X-Request-ID`` when a caller sends a sane one, else a
new UUID; it is echoed on the response and passed on by the service client.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def valid_request_id(incoming: str) -> bool:
    """Whether a caller's ``X-Request-ID`` is sane enough to be used as the request id."""
    return bool(_REQUEST_ID.match(incoming))


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Outside Flask (a WSGI layer in front of it) the line carries its own.
        request_id = current_request_id() or getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key in ("error_id", "path", "method", "status", "duration_ms", "event"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stderr from the ``kaoping`` loggers at ``level`` (a logging level
    name: ``CommonSettings.log_level``); raises ValueError for an unknown level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger("kaoping")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def init_request_ids(app) -> None:
    access = logging.getLogger("kaoping.access")

    @app.before_request
    def _assign():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if valid_request_id(incoming) else uuid.uuid4().hex
        g.started = datetime.now(UTC)

    @app.after_request
    def _echo(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            elapsed = (datetime.now(UTC) - g.started).total_seconds() * 1000
            access.info("request", extra={"path": request.path, "method": request.method,
                                          "status": response.status_code,
                                          "duration_ms": round(elapsed, 1)})
        return response
