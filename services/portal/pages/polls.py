"""A planner's polls (``/polls``): the list and a new poll from a questionnaire version;
one poll's quotas, opening and closing, web links (a CSV or a printable sheet of QR
codes per township) and the import of paper forms."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, clock, polls
from services.portal.api_errors import attempt, translate
from services.portal.forms import options
from services.portal.forms.polls import LinksForm, PaperForm, PollForm
from shared.client import ServiceError
from shared.errors import NotFound

bp = Blueprint("polls", __name__, url_prefix="/polls")


@bp.route("/", methods=["GET", "POST"])
@access.require("planner", "analyst")
def index():
    apis, form, problems = access.apis(), PollForm(), []
    form.questionnaire_id.choices = options(
        (q["id"], f"{q['code']} v{q['version']} · {q['title_zh']} / {q['title_en']}")
        for q in polls.questionnaires(apis))
    codes = polls.townships(apis)
    form.townships.choices = options((code, code) for code in codes)
    if not form.is_submitted():
        today = clock.today()
        form.field_start.data, form.field_end.data = today, today + timedelta(days=30)
        form.townships.data = codes
    if form.validate_on_submit():
        made, problems = attempt(lambda: polls.create(apis, form.body(), form.key.data), form)
        if not problems:
            flash(_l("The poll is created: open it to start fielding."))
            return redirect(url_for("polls.detail", poll_id=made["id"]))
    return render_template("polls/index.html", polls=polls.polls(apis), form=form,
                           problems=problems)


def _detail_forms(found: dict) -> tuple[LinksForm, PaperForm]:
    links = LinksForm(prefix="links")
    links.township.choices = options([("*", _l("every township of the poll")),
                                      *((t["code"], t["code"]) for t in found["townships"])])
    return links, PaperForm(prefix="paper")


@bp.get("/<int:poll_id>")
@access.require("planner", "analyst")
def detail(poll_id: int):
    found = polls.poll(access.apis(), poll_id)
    links, paper = _detail_forms(found)
    return render_template("polls/detail.html", poll=found, links_form=links, paper_form=paper)


@bp.post("/<int:poll_id>/links")
@access.require("planner")
def links(poll_id: int):
    found = polls.poll(access.apis(), poll_id)
    form, paper = _detail_forms(found)
    if form.validate_on_submit():
        chosen = form.township.data
        townships = [t["code"] for t in found["townships"]] if chosen == "*" else [chosen]
        issued, problems = attempt(lambda: polls.issue_links(
            access.apis(), poll_id, townships, form.count.data), form)
        for text in problems:
            flash(text, "error")
        if not problems:
            if form.output.data == "csv":
                name = f"poll-{poll_id}-{'all' if chosen == '*' else chosen}-links.csv"
                return Response(polls.links_csv(issued), mimetype="text/csv",
                                headers={"Content-Disposition": f"attachment; filename={name}"})
            return render_template("polls/sheet.html", poll=found, groups=polls.sheet(issued))
    return render_template("polls/detail.html", poll=found, links_form=form, paper_form=paper)


@bp.post("/<int:poll_id>/paper")
@access.require("planner")
def paper(poll_id: int):
    found = polls.poll(access.apis(), poll_id)
    links_form, form = _detail_forms(found)
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        imported, problems = attempt(lambda: polls.import_paper(
            access.apis(), poll_id, upload.filename or "forms.csv", upload.read()),
            show=_row_problems)
        if not problems:
            flash(_l("%(count)d paper forms imported.", count=len(imported)))
            return redirect(url_for("polls.detail", poll_id=poll_id))
    return render_template("polls/detail.html", poll=found, links_form=links_form,
                           paper_form=form, paper_problems=problems)


def _row_problems(failed: ServiceError) -> list[str]:
    """An import's refusal as lines "row N, column: reason"."""
    errors = failed.errors or {}
    lines = []
    for row, columns in errors.items():
        if isinstance(columns, dict):
            for column, reasons in columns.items():
                for reason in reasons if isinstance(reasons, list) else [reasons]:
                    lines.append(f"{row} · {column}: {translate(reason)}")
        else:
            lines.append(f"{row}: {columns}")
    return lines or [translate(failed.body.get("message", ""))]


@bp.post("/<int:poll_id>/<action>")
@access.require("planner")
def act(poll_id: int, action: str):
    if action not in ("open", "close"):
        raise NotFound(f"no action {action!r}")
    for text in attempt(lambda: polls.act(access.apis(), poll_id, action))[1]:
        flash(text, "error")
    return redirect(url_for("polls.detail", poll_id=poll_id))
