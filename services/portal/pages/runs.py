"""Score runs (``/runs``): start one (kind, period, draws, sensitivity), see its
sources, ranking and sensitivity, publish it (also a button on the planner's home page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, runs
from services.portal.api_errors import attempt, form_problems, translate
from services.portal.forms import options
from services.portal.forms.runs import RunForm

bp = Blueprint("runs", __name__)


@bp.route("/runs", methods=["GET", "POST"])
@access.require("planner", "analyst")
def index():
    apis, form, problems = access.apis(), RunForm(), []
    found = runs.choices(apis)
    form.scheme_version_id.choices = options(found["versions"])
    form.period.choices = options(found["periods"])
    form.polls.choices = options(found["polls"])
    if form.validate_on_submit():
        made, problems = attempt(
            lambda: runs.start(apis, form.settings(), form.key.data),
            show=lambda failed: [translate(failed.body.get("message", "")),
                                 *form_problems(form, failed)])
        if not problems:
            flash(_l("Run %(id)d is computed: check it, then publish it.", id=made["id"]))
            return redirect(url_for("runs.detail", run_id=made["id"]))
    return render_template("runs/index.html", runs=runs.runs(apis), form=form,
                           problems=problems)


@bp.get("/runs/<int:run_id>")
@access.require("planner", "analyst")
def detail(run_id: int):
    return render_template("runs/detail.html", **runs.result(access.apis(), run_id))


@bp.post("/runs/<int:run_id>/publish")
@access.require("planner")
def publish(run_id: int):
    _published, problems = attempt(lambda: runs.publish(access.apis(), run_id),
                                   statuses=(409,))
    for text in problems:
        flash(text, "error")
    if not problems:
        flash(_l("Run %(id)d is published.", id=run_id))
    return redirect(access.safe_next(request.form.get("next")))
