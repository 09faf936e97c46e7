"""Domain errors and the one JSON error envelope ``{code, status, message, errors}``.

Logic raises the domain errors below; the handlers turn them, routing errors,
malformed bodies and unexpected exceptions into the envelope with the right status.
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger("kaoping.errors")


class DomainError(Exception):
    """Base of errors that logic raises; ``status`` picks the HTTP status."""

    status = 400

    def __init__(self, message: str, errors: Any = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class BadRequest(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class PayloadTooLarge(DomainError):
    status = 413


class ValidationFailed(DomainError):
    """422; ``errors`` maps a field (or ``row N`` / column) to a list of reasons."""

    status = 422


class DependencyDown(DomainError):
    """503: a database or another service could not be reached."""

    status = 503


def envelope(status: int, message: str, errors: Any = None, **extra: Any):
    body = {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "message": message,
        "errors": errors if errors is not None else {},
    }
    body.update(extra)
    response = jsonify(body)
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
    error_id = uuid.uuid4().hex
    log.exception("unhandled error %s", error_id, extra={"error_id": error_id})
    return envelope(500, f"Internal error; quote error id {error_id}", None, error_id=error_id)


def _handle_database_down(error: Exception):
    log.error("database unavailable: %s", error.__class__.__name__)
    return envelope(503, "Database unavailable", None)


def init_error_handlers(app) -> None:
    """Register the envelope for every error; call after flask-smorest's Api(app).

    A database that cannot be reached is a 503 whether SQLAlchemy or the driver itself
    (``app.extensions["kaoping"].engine``'s DBAPI) reported it.
    """
    from sqlalchemy.exc import OperationalError

    app.register_error_handler(OperationalError, _handle_database_down)
    state = app.extensions.get("kaoping")
    if state is not None:
        # Hot paths that use the driver directly (keypad answers, COPY) get its own error.
        app.register_error_handler(state.engine.dialect.loaded_dbapi.OperationalError,
                                   _handle_database_down)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
