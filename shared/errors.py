"""Domain errors and the one JSON error envelope ``{code, status, message, errors}``.

Logic raises the domain errors below; the handlers turn them, routing errors,
malformed bodies and unexpected exceptions into the envelope with the right status.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from http import HTTPStatus
from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger("kaoping.errors")


class DomainError(Exception):
    """Base of errors that logic raises; ``status`` picks the HTTP status.

    A subclass states its status in the class line (``class Gone(DomainError,
    status=410)``) or as a ``status`` attribute."""

    status = 400

    def __init_subclass__(cls, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status

    def __init__(self, message: str, errors: Any = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class BadRequest(DomainError, status=400):
    """The request itself is malformed (a body that is not what the view reads)."""


class Unauthorized(DomainError, status=401):
    """No token, or one that is expired or does not verify."""


class Forbidden(DomainError, status=403):
    """The caller's role or unit scope does not allow this."""


class NotFound(DomainError, status=404):
    """No such thing, or one the caller must not know exists."""


class Conflict(DomainError, status=409):
    """The thing's state forbids this now, or a retry key came with another payload."""


class PayloadTooLarge(DomainError, status=413):
    """A body or a file over its limit."""


class ValidationFailed(DomainError, status=422):
    """``errors`` maps a field (or ``row N`` / column) to a list of reasons."""


class Problems:
    """The one error collector: gather every problem, then raise once.

    ``add(field, reason)`` for a document or form (``{field: [reasons]}``);
    ``add_row(row, column, reason)`` for an imported table (``{"row N": {column:
    [reasons]}}``, ``row`` a sheet row number or a label such as ``items[2]``; at most
    ``max_rows`` rows are listed, all are counted). ``raise_if_any`` raises ``error``
    (default 422) with what was gathered.
    """

    def __init__(self, max_rows: int = 100) -> None:
        self.errors: dict[str, Any] = {}
        self.count = 0
        self.max_rows = max_rows

    def add(self, field: str, reason: str) -> None:
        self.count += 1
        self.errors.setdefault(field, []).append(reason)

    def add_row(self, row: int | str, column: str, reason: str) -> None:
        self.count += 1
        key = f"row {row}" if isinstance(row, int) else row
        if key not in self.errors and len(self.errors) >= self.max_rows:
            return
        self.errors.setdefault(key, {}).setdefault(column, []).append(reason)

    def merge(self, other: Problems) -> None:
        """Add another collector's problems (its count included, listed or not)."""
        for key, value in other.errors.items():
            if isinstance(value, dict):
                for column, reasons in value.items():
                    for reason in reasons:
                        self.add_row(key, column, reason)
            else:
                for reason in value:
                    self.add(key, reason)
        self.count += other.count - sum(
            sum(len(r) for r in v.values()) if isinstance(v, dict) else len(v)
            for v in other.errors.values())

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self, message: str, error: type[DomainError] | None = None) -> None:
        """Raise ``error(message, errors)`` (default ValidationFailed) when any problem."""
        if self.count:
            raise (error or ValidationFailed)(message, self.errors)


class DependencyDown(DomainError, status=503):
    """A database or another service could not be reached."""


def envelope_body(status: int, message: str, errors: Any = None, **extra: Any) -> dict:
    """The envelope as a dict: ``{code, status, message, errors}`` and any ``extra``."""
    return {"code": status, "status": HTTPStatus(status).phrase, "message": message,
            "errors": errors if errors is not None else {}, **extra}


def envelope(status: int, message: str, errors: Any = None, **extra: Any):
    response = jsonify(envelope_body(status, message, errors, **extra))
    response.status_code = status
    return response


def _handle_domain(error: DomainError):
    return envelope(error.status, error.message, error.errors)


def _handle_http(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) else None
    if status == 400 and errors and "json" in errors and not isinstance(errors["json"], dict):
        message = "Malformed JSON body"
    if status == 413:
        message = "Request body too large"
    response = envelope(status, message or error.description or HTTPStatus(status).phrase, errors)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    for name, value in (data.get("headers") or {}).items() if isinstance(data, dict) else ():
        response.headers[name] = value
    return response


def _handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _handle_http(error)
    error_id = new_error_id()
    log.error("unhandled error %s", error_id, extra={"error_id": error_id},
              exc_info=(type(error), error, error.__traceback__))
    return envelope(500, f"Internal error; quote error id {error_id}", None, error_id=error_id)


def _handle_internal(error: InternalServerError):
    """Flask's wrapper for an exception raised outside a view (e.g. in after_request)."""
    return _handle_unexpected(error.original_exception or RuntimeError(error.description))


def _handle_database_down(error: Exception):
    log.error("database unavailable: %s", error.__class__.__name__)
    return envelope(503, "Database unavailable", None)


def _handle_conflicting_write(error: Exception):
    """A constraint refused the write, typically a concurrent request that got there
    first (two creates of one code, a retry racing its original): 409, nothing saved."""
    error_id = new_error_id()
    log.warning("write refused by a constraint %s: %s", error_id,
                str(getattr(error, "orig", error)).splitlines()[0][:300],
                extra={"error_id": error_id})
    return envelope(409, "The request conflicts with a concurrent change; nothing was saved, "
                         "send it again", None, error_id=error_id)


def _handle_unstorable_value(error: Exception):
    """The database refused a value the schemas let through (a number beyond its
    column, text beyond its length, a NUL character): 422 with the database's reason."""
    reason = str(getattr(error, "orig", error)).splitlines()[0][:300]
    log.warning("value refused by the database: %s", reason)
    return envelope(422, "A value does not fit the database", {"_database": [reason]})


def new_error_id() -> str:
    return uuid.uuid4().hex


def error_response(error: Exception):
    """The envelope for an exception caught outside Flask's handlers (the commit at the
    request boundary), logged as those handlers log it."""
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    if isinstance(error, DomainError):
        return _handle_domain(error)
    if isinstance(error, OperationalError):
        return _handle_database_down(error)
    if isinstance(error, IntegrityError):
        return _handle_conflicting_write(error)
    if isinstance(error, DataError):
        return _handle_unstorable_value(error)
    return _handle_unexpected(error)


class LastResort:
    """WSGI middleware: an exception that escapes Flask (a failing teardown) is logged
    as JSON with an error id and answered with the 500 envelope, instead of the
    server's plain-text traceback and HTML page."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        except Exception:
            error_id = new_error_id()
            log.exception("unhandled error %s", error_id, extra={"error_id": error_id})
            body = json.dumps(envelope_body(500, f"Internal error; quote error id {error_id}",
                                            None, error_id=error_id)).encode()
            start_response("500 INTERNAL SERVER ERROR",
                           [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))], sys.exc_info())
            return [body]


def init_error_handlers(app) -> None:
    """Register the envelope for every error; call after flask-smorest's Api(app)."""
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(IntegrityError, _handle_conflicting_write)
    app.register_error_handler(DataError, _handle_unstorable_value)
    state = app.extensions.get("kaoping")
    if state is not None:
        # Hot paths that use the driver directly (keypad answers, COPY) get its own
        # OperationalError: a database that cannot be reached is a 503 either way.
        app.register_error_handler(state.engine.dialect.loaded_dbapi.OperationalError,
                                   _handle_database_down)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(InternalServerError, _handle_internal)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
