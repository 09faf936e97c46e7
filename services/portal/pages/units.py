"""A unit's pages: the self-check of a month (every indicator with its unit of measure,
last month's value and the accepted range; corrections with a reason and the version
history), the month as a spreadsheet, and the unit's key tasks.

A unit person opening another unit's page gets the API's answer: 403, shown as the
403 page, with none of that unit's data.
"""

from __future__ import annotations

import re

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, clock, key_tasks, self_checks
from services.portal.api_errors import SHOWN, form_problems, translate
from services.portal.forms.key_tasks import ProgressForm
from services.portal.forms.self_checks import UploadForm, month_form
from shared.client import ServiceError
from shared.errors import NotFound

bp = Blueprint("units", __name__, url_prefix="/units")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
WRITERS = ("unit", "planner", "admin")
READERS = ("unit", "planner", "analyst", "leader")


def _period() -> str:
    period = request.args.get("period") or clock.today().strftime("%Y-%m")
    if not MONTH.match(period):
        raise NotFound(f"no month {period!r}")
    return period


def _refused(failed: ServiceError) -> None:
    if failed.upstream_status not in SHOWN:
        raise failed


@bp.route("/<code>/self-checks", methods=["GET", "POST"])
@access.require(*READERS)
def self_check(code: str):
    period, problems = _period(), []
    sheet = self_checks.month(access.apis(), code, period)
    form = month_form(sheet.indicators, sheet.current, sheet.narratives)
    if g.person.role in WRITERS and sheet.defined and form.validate_on_submit():
        items = self_checks.changed_items(sheet, form.entered())
        if not items:
            problems = [_l("Nothing changed: enter a value first.")]
        else:
            try:
                self_checks.submit_month(access.apis(), code, period, items,
                                         form.reason.data or "", form.key.data)
            except ServiceError as failed:
                _refused(failed)
                problems = form_problems(form, _by_row(failed, items))
            else:
                flash(_l("The values are saved."))
                return redirect(url_for("units.self_check", code=code, period=period))
    return render_template("units/self_check.html", code=code, sheet=sheet, form=form,
                           problems=problems, may_write=g.person.role in WRITERS,
                           next_month=self_checks.next_month(period))


def _by_row(failed: ServiceError, items: list[dict]) -> ServiceError:
    """The API names items by position (``items[0]``): name the form's fields instead
    (``actual-sc_rate``); a correction's missing reason goes to the reason field."""
    renamed: dict = {}
    for where, fields in (failed.errors or {}).items():
        index = where[6:-1] if where.startswith("items[") else ""
        if not index.isdigit() or int(index) >= len(items) or not isinstance(fields, dict):
            renamed[where] = fields
            continue
        indicator = items[int(index)]["indicator"]
        for name, reasons in fields.items():
            target = "reason" if name in ("reason", "period") else f"{name}-{indicator}"
            if name in ("indicator", "unit", "unit_of_measure"):
                target = f"actual-{indicator}"
            renamed.setdefault(target, []).extend(reasons)
    failed.errors = renamed
    return failed


@bp.route("/<code>/self-checks/upload", methods=["GET", "POST"])
@access.require(*WRITERS)
def upload(code: str):
    period, form, problems, rows = _period(), UploadForm(), [], []
    if form.validate_on_submit():
        sheet = form.sheet.data
        try:
            result = self_checks.upload(access.apis(), period, sheet.filename or "month.csv",
                                        sheet.read(), form.reason.data or "", form.key.data)
        except ServiceError as failed:
            if failed.upstream_status not in (*SHOWN, 403):
                raise
            rows = [(row.removeprefix("row "), column, translate(reason)) for row, column, reason
                    in self_checks.row_errors(failed.errors)]
            problems = [_l("Nothing was saved: fix the rows below and upload the sheet again.")
                        if rows else translate(failed.body.get("message", ""))]
        else:
            flash(_l("The month is uploaded: %(values)d values, %(corrections)d corrections.",
                     values=result["values"], corrections=result["corrections"]))
            return redirect(url_for("units.self_check", code=code, period=period))
    return render_template("units/upload.html", code=code, period=period, form=form,
                           problems=problems, rows=rows)


@bp.route("/<code>/key-tasks", methods=["GET", "POST"])
@access.require(*READERS)
def tasks(code: str):
    found = key_tasks.tasks(access.apis(), code)
    form, problems = ProgressForm(found), []
    if g.person.role in WRITERS and form.validate_on_submit():
        try:
            key_tasks.report(access.apis(), form.task.data, form.report(), form.key.data)
        except ServiceError as failed:
            _refused(failed)
            problems = form_problems(form, failed)
        else:
            flash(_l("The progress is reported."))
            return redirect(url_for("units.tasks", code=code))
    return render_template("units/key_tasks.html", code=code, tasks=found, form=form,
                           problems=problems, may_write=g.person.role in WRITERS)
