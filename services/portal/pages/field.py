"""The inspector's field pages (``/field/``): today's work and one visit's sheet.

The pages are rendered here from the inspection API, as the person; ``static/field.js``
keeps what is typed on the device (IndexedDB) and sends it through ``field_api`` when
the network allows, and the service worker (``/field/sw.js``, ``static/field-sw.js``)
keeps the pages and their files for when it does not.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory

from services.portal import access, field
from services.portal.clock import county_day, now

bp = Blueprint("field", __name__, url_prefix="/field")


@bp.get("/")
@access.require("inspector")
def index():
    today = county_day(now())
    work = field.work(access.apis(), today, current_app.config["PORTAL_FIELD_DAYS_AHEAD"])
    return render_template("field/index.html", work=work, today=today)


@bp.get("/visits/<int:visit_id>")
@access.require("inspector")
def visit(visit_id: int):
    return render_template("field/visit.html", today=county_day(now()),
                           **field.sheet(access.apis(), visit_id))


@bp.get("/sw.js")
def service_worker():
    """The service worker, from ``/field/`` so that its scope is the field pages."""
    response = send_from_directory(current_app.static_folder, "field-sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
