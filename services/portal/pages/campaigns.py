"""A planner's telephone campaigns (``/campaigns``): the list and a new campaign; one
campaign's live monitor, its state buttons, settings and sampling frame.

The monitor is the server-rendered table; ``static/monitor.js`` (our own file, the CSP
forbids inline script) asks ``/campaigns/<id>/monitor.json`` every few seconds and
writes the new numbers into it, so the page never reloads.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import lazy_gettext as _l

from services.portal import access, campaigns
from services.portal.api_errors import attempt
from services.portal.forms import options
from services.portal.forms.campaigns import CampaignForm, FrameForm, SettingsForm
from shared.errors import NotFound

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
ACTION_TEXTS = {"start": _l("Start calling"), "pause": _l("Pause"), "resume": _l("Resume"),
                "cancel": _l("Cancel the campaign")}
# The monitor's columns after the township: (key of the cell, its name on a phone card).
COLUMNS = (("cases", _l("Numbers")), ("dialled", _l("Dialled")),
           ("quota", _l("Completes / target")), ("quota_fill", _l("Quota filled")),
           ("rr3", _l("Response rate (RR3)")), ("partials", _l("partial interviews")),
           ("refusals", _l("refusals and break-offs")),
           ("non_contacts", _l("non-contacts: no answer, busy, machine")),
           ("other", _l("other non-interviews")), ("unknown", _l("eligibility unknown")),
           ("not_eligible", _l("not eligible")))


@bp.route("/", methods=["GET", "POST"])
@access.require("planner", "analyst")
def index():
    apis, form, problems = access.apis(), CampaignForm(), []
    polls = campaigns.phone_polls(apis)
    form.poll_id.choices = options((p["id"], f"#{p['id']} {p['name_zh']} / {p['name_en']}")
                                   for p in polls)
    if form.validate_on_submit():
        made, problems = attempt(
            lambda: campaigns.create(apis, form.settings(), form.key.data), form)
        if not problems:
            flash(_l("The campaign is created: import its numbers, then start it."))
            return redirect(url_for("campaigns.detail", campaign_id=made["id"]))
    return render_template("campaigns/index.html", campaigns=campaigns.campaigns(apis),
                           form=form, problems=problems, polls=polls)


@bp.route("/<int:campaign_id>", methods=["GET", "POST"])
@access.require("planner", "analyst")
def detail(campaign_id: int):
    apis, form, problems = access.apis(), SettingsForm(prefix="settings"), []
    found = campaigns.campaign(apis, campaign_id)
    if form.validate_on_submit():
        changes = form.changes(found)
        _changed, problems = attempt(
            lambda: changes and campaigns.change(apis, campaign_id, changes), form)
        if not problems:
            flash(_l("The settings are saved."))
            return redirect(url_for("campaigns.detail", campaign_id=campaign_id))
    elif not form.is_submitted():
        form.fill(found)
    return render_template("campaigns/detail.html", campaign=found, form=form,
                           problems=problems, frame_form=FrameForm(prefix="frame"),
                           monitor_texts=campaigns.texts(campaigns.monitor(apis, campaign_id)),
                           allowed=campaigns.ALLOWED.get(found["state"], ()),
                           action_texts=ACTION_TEXTS, columns=COLUMNS,
                           idle_ms=_idle_ms())


def _idle_ms() -> int:
    """How long the monitor asks without the person's input: a minute less than the
    portal's idle timeout, so that a page left alone lets the session end."""
    return max(current_app.config["PORTAL_IDLE_TIMEOUT_MIN"] - 1, 1) * 60_000


@bp.post("/<int:campaign_id>/frame")
@access.require("planner")
def frame(campaign_id: int):
    form = FrameForm(prefix="frame")
    if form.validate_on_submit():
        upload = form.file.data
        report, problems = attempt(lambda: campaigns.import_frame(
            access.apis(), campaign_id, upload.filename or "frame.csv", upload.read()), form)
        if problems:
            for text in problems + form.file.errors:
                flash(text, "error")
        else:
            flash(_l("%(imported)d numbers imported (%(duplicates)d duplicates, %(dnc)d on "
                     "the do-not-call list).", imported=report["imported"],
                     duplicates=report["duplicates"], dnc=report["do_not_call"]))
    else:
        flash(_l("Choose a CSV file of numbers."), "error")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/<action>")
@access.require("planner")
def act(campaign_id: int, action: str):
    if action not in campaigns.ACTIONS:
        raise NotFound(f"no action {action!r}")
    for text in attempt(lambda: campaigns.act(access.apis(), campaign_id, action))[1]:
        flash(text, "error")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>/monitor.json")
@access.require("planner", "analyst")
def monitor(campaign_id: int):
    """The monitor's numbers for ``static/monitor.js``."""
    return jsonify(campaigns.texts(campaigns.monitor(access.apis(), campaign_id)))
