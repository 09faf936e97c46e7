"""What the field pages' script sends (``/field/api/…``): JSON in, JSON out.

Each view passes the request to one ``services.portal.field`` function, as the signed-in
person; the person's session (the cookie) and the CSRF token (``X-CSRFToken``) stand
for them, as on the forms. Errors are JSON in the suite's envelope
(``shared.errors.envelope``), the inspection API's 409 and 422 passed on as
they are, so that the script can show them beside the work they refuse; a session that
has ended is a 401, and the script keeps the work until the person signs in again.
"""

from __future__ import annotations

import functools

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, generate_csrf

from services.portal import access, field, field_form
from services.portal.api_errors import translate
from shared.client import ServiceError
from shared.errors import DomainError, ValidationFailed, envelope

bp = Blueprint("field_api", __name__, url_prefix="/field/api")


def inspector_only(view):
    """Signed-in inspectors (and admins) only: 401 without a session, 403 for others."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if g.person is None:
            return _error(401, _l("Sign in again."))
        if g.person.role not in ("inspector", "admin"):
            return _error(403, _l("Only inspectors use the field pages."))
        return view(*args, **kwargs)

    return guarded


@bp.get("/session")
@inspector_only
def session_state():
    return jsonify(username=g.person.username, csrf_token=generate_csrf())


@bp.post("/visits/<int:visit_id>/check-in")
@inspector_only
def check_in(visit_id: int):
    return jsonify(field.check_in(access.apis(), visit_id, _json()))


@bp.post("/visits/<int:visit_id>/photos")
@inspector_only
def photo(visit_id: int):
    meta = {"sha256": request.args.get("sha256", ""), "item_id": request.args.get("item_id"),
            "filename": request.args.get("filename") or "photo.jpg",
            "content_type": request.mimetype}
    return jsonify(field.receive_photo(access.apis(), visit_id, meta, request.get_data()))


@bp.post("/visits/<int:visit_id>/submit")
@inspector_only
def submit(visit_id: int):
    return jsonify(field.submit(access.apis(), visit_id, _json()))


@bp.post("/visits/<int:visit_id>/amend")
@inspector_only
def amend(visit_id: int):
    return jsonify(field.submit(access.apis(), visit_id, _json(), amend=True))


@bp.post("/visits/<int:visit_id>/orders")
@inspector_only
def order(visit_id: int):
    return jsonify(field.issue_order(access.apis(), visit_id, _json()))


def allow_large_photo() -> None:
    """``before_request`` of the app, ahead of the CSRF check (which reads the body): a
    photo may be larger than a form (``PORTAL_PHOTO_MAX_BYTES``, on this route only)."""
    if request.endpoint == "field_api.photo":
        request.max_content_length = current_app.config["PORTAL_PHOTO_MAX_BYTES"]
    elif request.endpoint == "field.post_visit":  # the sheet as a form, with its photos
        request.max_content_length = (field_form.FORM_PHOTOS
                                      * current_app.config["PORTAL_PHOTO_MAX_BYTES"])


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed(_l("A JSON object is expected."),
                               {"body": [_l("Not a JSON object.")]})
    return body


def _error(status: int, message, errors: dict | None = None):
    """The envelope, the message and every reason in the person's language where the
    catalogue knows them (``api_errors.translate``)."""
    return envelope(status, str(translate(message)), _translated(errors or {}))


def _translated(errors):
    if isinstance(errors, dict):
        return {key: _translated(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [_translated(value) for value in errors]
    return str(translate(errors)) if errors is not None else None


@bp.errorhandler(ServiceError)
def _service(error: ServiceError):
    body = error.body if isinstance(error.body, dict) else {}
    status = error.upstream_status if error.upstream_status in (403, 404, 409, 410, 413, 422) \
        else 502
    return _error(status, body.get("message", str(error)), body.get("errors"))


@bp.errorhandler(DomainError)
def _domain(error: DomainError):
    return _error(error.status, error.message, error.errors)


@bp.errorhandler(CSRFError)
def _csrf(error: CSRFError):
    return _error(400, _l("The page has expired: reload it."))


@bp.errorhandler(413)
def _too_large(error):
    return _error(413, _l("The photo is larger than the portal accepts."))
