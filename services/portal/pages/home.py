"""The home page: what the signed-in person's role works on, read from the APIs."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from services.portal import access, home
from services.portal.clock import now
from shared.config import county_today

bp = Blueprint("home", __name__)


@bp.get("/")
@access.require()
def index():
    person, moment = g.person, now()
    if person.role == "admin":
        return render_template("home/admin.html")
    day = county_today(moment)
    parts = home.for_person(access.apis(), person.role, person.unit, day, moment)
    return render_template(f"home/{person.role}.html", parts=parts, today=day)
