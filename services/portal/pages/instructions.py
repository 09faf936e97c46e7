"""Instruction pages: the list (planners record new ones there) and one instruction with
its reports, extension requests and trail, where each side acts."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, instructions
from services.portal.api_errors import attempt
from services.portal.forms.instructions import (
    DecisionForm,
    ExtensionForm,
    InstructionForm,
    JudgementForm,
    ReportForm,
)

bp = Blueprint("instructions", __name__, url_prefix="/instructions")
READERS = ("planner", "unit", "analyst", "leader")


def _attempt(form, work, done_text, target):
    """Run ``work`` when ``form`` validates: redirect with ``done_text``, or the API's
    409/413/422 beside the fields; None when there is nothing to redirect to."""
    if not form.validate_on_submit():
        return None, []
    _done, problems = attempt(work, form)
    if problems:
        return None, problems
    flash(done_text)
    return redirect(target), []


def _extension_id() -> int:
    """The extension request a decision form names (0, which no request has, if none)."""
    raw = request.form.get("extension", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


@bp.route("/", methods=["GET", "POST"])
@access.require(*READERS)
def index():
    form = InstructionForm() if g.person.role in ("planner", "admin") else None
    problems: list = []
    if form is not None:
        done, problems = _attempt(form, lambda: instructions.create(
            access.apis(), form.body(), form.key.data), _l("The instruction is recorded."),
            url_for("instructions.index"))
        if done:
            return done
    overdue = request.args.get("overdue") == "1"
    return render_template("instructions/index.html", form=form, problems=problems,
                           overdue=overdue, rows=instructions.listing(access.apis(), overdue))


@bp.route("/<int:instruction_id>", methods=["GET", "POST"])
@access.require(*READERS)
def detail(instruction_id: int):
    apis, here = access.apis(), url_for("instructions.detail", instruction_id=instruction_id)
    forms, problems = {}, []
    if g.person.role == "unit":
        forms = {"report": ReportForm(prefix="report"), "extension": ExtensionForm(prefix="ext")}
    elif g.person.role in ("planner", "admin"):
        forms = {"judgement": JudgementForm(prefix="judge"), "decision": DecisionForm(prefix="dec")}
    action = request.form.get("form")
    work = {
        "report": lambda f: instructions.report(apis, instruction_id, f.body(), f.key.data),
        "extension": lambda f: instructions.request_extension(
            apis, instruction_id, f.reason.data, f.requested_deadline.data),
        "judgement": lambda f: instructions.judge(apis, instruction_id, f.action.data,
                                                  f.note.data),
        "decision": lambda f: instructions.decide_extension(
            apis, instruction_id, _extension_id(), f.approve.data == "yes", f.note.data),
    }
    if request.method == "POST" and action in forms:
        form = forms[action]
        done, problems = _attempt(form, lambda: work[action](form), _l("Saved."), here)
        if done:
            return done
    item = instructions.detail(apis, instruction_id)
    return render_template("instructions/detail.html", item=item, forms=forms,
                           problems=problems)
