"""Error pages: every error the portal or an API answers becomes a page in the person's
language with the right status (a service's 401, 403 and 404 included)."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from shared.client import ServiceError
from shared.errors import DomainError

log = logging.getLogger("kaoping.errors")

TEXTS = {
    400: (_l("This request could not be understood"),
          _l("Go back, reload the page and try again.")),
    401: (_l("The service did not accept your sign-in"), _l("Sign in again and retry.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Not found"), _l("There is nothing here, or nothing that you may see.")),
    405: (_l("Not allowed"), _l("This page does not take that kind of request.")),
    409: (_l("Conflict"), _l("The data changed meanwhile; reload and try again.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    500: (_l("Something went wrong"), _l("Quote this error number when you report it:")),
    502: (_l("A service answered wrongly"), _l("Try again later.")),
    503: (_l("A service is not answering"), _l("Try again in a few minutes.")),
}
CSRF_TEXT = (_l("The form has expired"),
             _l("It was not sent from this site, or it is too old. Reload the page and try "
                "again."))


def page(status: int, texts=None, error_id: str | None = None):
    title, advice = texts or TEXTS.get(status, TEXTS[500])
    return render_template("errors/error.html", status=status, title=title, advice=advice,
                           error_id=error_id), status


def _domain(error: DomainError):
    return page(error.status if error.status in TEXTS else 400)


def _service(error: ServiceError):
    """A service's refusal: 401/403/404 as our own; anything else is its fault (502)."""
    status = error.upstream_status
    return page(status if status in (401, 403, 404, 409, 413) else 502)


def _http(error: HTTPException):
    return page(error.code if error.code in TEXTS else 400)


def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http(error)
    error_id = uuid.uuid4().hex
    log.exception("unhandled error %s", error_id, extra={"error_id": error_id})
    return page(500, error_id=error_id)


def init_error_pages(app: Flask) -> None:
    app.register_error_handler(CSRFError, lambda error: page(400, CSRF_TEXT))
    app.register_error_handler(OperationalError, lambda error: page(503))
    app.register_error_handler(ServiceError, _service)
    app.register_error_handler(DomainError, _domain)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
