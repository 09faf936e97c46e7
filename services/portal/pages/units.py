"""A unit's self-check for a month: the values the API returns, and a form to report one.

A unit person opening another unit's page gets the API's answer: 403, shown as the
403 page, with none of that unit's data.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, self_checks
from services.portal.api_errors import form_problems
from services.portal.clock import county_day, now
from services.portal.forms.self_checks import SelfCheckForm
from shared.client import ServiceError
from shared.errors import NotFound

bp = Blueprint("units", __name__, url_prefix="/units")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
WRITERS = ("unit", "planner", "admin")


def _period() -> str:
    period = request.args.get("period") or county_day(now()).strftime("%Y-%m")
    if not MONTH.match(period):
        raise NotFound(f"no month {period!r}")
    return period


@bp.route("/<code>/self-checks", methods=["GET", "POST"])
@access.require("unit", "planner", "analyst", "leader")
def self_check(code: str):
    period, form, problems = _period(), SelfCheckForm(), []
    if form.validate_on_submit():
        try:
            self_checks.submit(access.apis(), code, period, form.item(), form.key.data)
        except ServiceError as failed:
            if failed.upstream_status not in (409, 413, 422):
                raise
            problems = form_problems(form, failed)
        else:
            flash(_l("The value is saved."))
            return redirect(url_for("units.self_check", code=code, period=period))
    values = self_checks.values(access.apis(), code, period)
    return render_template("units/self_check.html", code=code, period=period, values=values,
                           form=form, problems=problems,
                           may_write=g.person.role in WRITERS)
