"""A planner's inspections (``/plans``): the plans with their drawn sample and seed, a
new plan, overdue rectification orders; one plan's visits, each given to an inspector;
the review of a submitted visit."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from services.portal import access, clock, plans
from services.portal.api_errors import attempt
from services.portal.forms import options
from services.portal.forms.plans import AssignForm, PlanForm, ReviewForm
from services.portal.models.person import Person
from shared.db import db_session

bp = Blueprint("plans", __name__, url_prefix="/plans")


def _inspectors() -> list:
    """The portal's active inspectors: (username, name)."""
    people = db_session().scalars(select(Person).where(Person.role == "inspector")
                                  .order_by(Person.username))
    return options((p.username, f"{p.display_name} ({p.username})") for p in people if p.active)


@bp.route("/", methods=["GET", "POST"])
@access.require("planner", "analyst")
def index():
    apis, form, problems = access.apis(), PlanForm(), []
    registry = plans.units(apis)
    form.template_id.choices = options((c["id"], f"{c['code']} v{c['version']} · {c['name_zh']}")
                                       for c in plans.checklists(apis))
    form.inspectors.choices = _inspectors()
    form.units.choices = options((u["code"], f"{u['code']} {u['name_zh']}") for u in registry)
    today = clock.today()
    if not form.is_submitted():
        form.window_from.data, form.window_to.data = today, today + timedelta(days=30)
    if form.validate_on_submit():
        made, problems = attempt(lambda: plans.create(
            apis, plans.body(form.values(), registry), form.key.data), form)
        if not problems:
            flash(_l("The plan is made with %(count)d visits.", count=made["visits"]))
            return redirect(url_for("plans.detail", plan_id=made["id"]))
    return render_template("plans/index.html", plans=plans.plans(apis), form=form,
                           problems=problems, overdue=plans.overdue(apis, today))


@bp.get("/<int:plan_id>")
@access.require("planner", "analyst")
def detail(plan_id: int):
    choices = _inspectors()
    found = plans.plan(access.apis(), plan_id)
    forms = {}
    for visit in found["visit_rows"]:
        form = AssignForm(prefix=f"v{visit['id']}")
        form.inspector.choices = choices
        form.inspector.data = visit["inspector"]
        forms[visit["id"]] = form
    return render_template("plans/detail.html", plan=found, assign_forms=forms)


@bp.post("/<int:plan_id>/visits/<int:visit_id>/assign")
@access.require("planner")
def assign(plan_id: int, visit_id: int):
    form = AssignForm(prefix=f"v{visit_id}")
    form.inspector.choices = _inspectors()
    if form.validate_on_submit():
        _assigned, problems = attempt(
            lambda: plans.assign(access.apis(), visit_id, form.inspector.data))
        for text in problems:
            flash(text, "error")
        if not problems:
            flash(_l("Visit %(id)d is given to %(who)s.", id=visit_id, who=form.inspector.data))
    else:
        flash(_l("Choose an inspector."), "error")
    return redirect(url_for("plans.detail", plan_id=plan_id))


@bp.route("/visits/<int:visit_id>/review", methods=["GET", "POST"])
@access.require("planner")
def review(visit_id: int):
    form, problems = ReviewForm(), []
    if form.validate_on_submit():
        done, problems = attempt(lambda: plans.review(
            access.apis(), visit_id, form.decision.data, form.comment.data), form)
        if not problems:
            flash(_l("The review is saved."))
            return redirect(url_for("plans.detail", plan_id=done["plan_id"]))
    return render_template("plans/review.html", visit=plans.visit(access.apis(), visit_id),
                           form=form, problems=problems)
