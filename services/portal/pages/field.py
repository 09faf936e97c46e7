"""The inspector's field pages (``/field/``): today's work and one visit's sheet.

The pages are rendered here from the inspection API, as the person; ``static/field.js``
keeps what is typed on the device (IndexedDB) and sends it through ``field_api`` when
the network allows, and the service worker (``/field/sw.js``, ``static/field-sw.js``)
keeps the pages and their files for when it does not.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from services.portal import access, clock, field, field_form
from services.portal.api_errors import SHOWN, field_errors, translate
from services.portal.clock import now
from shared.client import ServiceError

bp = Blueprint("field", __name__, url_prefix="/field")


@bp.get("/")
@access.require("inspector")
def index():
    today = clock.today()
    work = field.work(access.apis(), today, current_app.config["PORTAL_FIELD_DAYS_AHEAD"])
    return render_template("field/index.html", work=work, today=today)


@bp.get("/visits/<int:visit_id>")
@access.require("inspector")
def visit(visit_id: int):
    return _page(field.sheet(access.apis(), visit_id), MultiDict(), field_form.Refused())


@bp.post("/visits/<int:visit_id>")
@access.require("inspector")
def post_visit(visit_id: int):
    """The sheet sent as a form (before the page's script has arrived, or without
    JavaScript): ``action`` is ``checkin`` (a manual check-in with its reason) or
    ``submit``; refusals are shown on the sheet with what was typed."""
    form, apis = request.form, access.apis()
    sheet = field.sheet(apis, visit_id)
    try:
        if form.get("action") == "checkin":
            checked, reason = field_form.check_in(apis, sheet, form.get("manual_reason", ""),
                                                  now())
            _keep_reason(visit_id, reason)
            flash(_l("Checked in at %(time)s (server time).",
                     time=_clock_time(checked["checkin"]["at"])))
            return redirect(url_for("field.visit", visit_id=visit_id), code=303)
        sent = field_form.submit(apis, sheet, form, request.files, today=clock.today(),
                                 reason=_reason(visit_id))
    except field_form.Refused as refused:
        if refused.kept_photos:
            sheet = field.sheet(apis, visit_id)
        return _page(sheet, form, refused), refused.status
    except ServiceError as failed:
        if failed.upstream_status not in SHOWN:
            raise
        by_field, other = field_errors(failed.errors, set(form))
        problem = field_form.Refused(
            problems=[translate(failed.body.get("message", "")), *other], fields=by_field)
        # What was sent before the refusal (a photo, say) shows on the sheet read again.
        return _page(field.sheet(apis, visit_id), form, problem), failed.upstream_status
    _keep_reason(visit_id, None)
    flash(_l("The visit was received (version %(version)s).",
             version=(sent["visit"].get("version") or {}).get("version", "?")))
    return redirect(url_for("field.index"), code=303)


def _reason(visit_id: int) -> str | None:
    """The reason this person gave for checking in to the visit without a location
    (kept in the portal session between the check-in and the submission)."""
    return session.get("field_reasons", {}).get(str(visit_id))


def _keep_reason(visit_id: int, reason: str | None) -> None:
    reasons = {key: value for key, value in session.get("field_reasons", {}).items()
               if key != str(visit_id)}
    session["field_reasons"] = reasons if reason is None else {**reasons,
                                                               str(visit_id): reason}


def _clock_time(at: str) -> str:
    """An API instant (ISO 8601, naive is UTC) as HH:mm on the county's clock (Babel's
    timezone, ``BABEL_DEFAULT_TIMEZONE``)."""
    return format_datetime(datetime.fromisoformat(at), "HH:mm")


def _page(sheet: dict, typed: MultiDict, refused: field_form.Refused):
    """The visit's page from ``sheet`` (``field.sheet``); ``typed``: the form as sent
    (refilled), ``refused``: what is shown beside it. A new ``client_uuid`` for a new
    sheet, the sent one for a refill."""
    visit = sheet["visit"]
    reason = _reason(visit["id"])
    return render_template(
        "field/visit.html", today=clock.today(), typed=typed, refused=refused,
        open_visit=visit["status"] in field.OPEN_STATES,
        checkin_time=_clock_time(visit["checkin"]["at"]) if visit["checkin"] else "",
        client_uuid=typed.get("client_uuid") or str(uuid.uuid4()),
        manual_note=field_form.manual_note(reason) if reason else "", **sheet)


@bp.get("/sw.js")
def service_worker():
    """The service worker, from ``/field/`` so that its scope is the field pages."""
    response = send_from_directory(current_app.static_folder, "field-sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
