"""Telephone campaigns: settings, sampling frame import, pause/resume/cancel, live
progress, process data, the do-not-call list and the recordings purge."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey.models import IdempotencyRecord
from services.survey.schemas.downloads import file_response
from services.survey.schemas.telephony import (
    AttemptOut,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CampaignQuery,
    DoNotCallIn,
    FrameReport,
    FrameUpload,
    ProgressOut,
    PurgeOut,
)
from services.survey.telephony import campaigns as domain
from services.survey.telephony import do_not_call, prompts
from services.survey.telephony.prompts import KINDS
from services.survey.telephony.recordings import purge_expired
from services.survey.telephony.vault import vault
from shared.auth import current_principal, public, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent
from shared.spreadsheets import CSV_MIME, export

blp = Blueprint("telephony", __name__,
                description="Telephone polls: campaigns, sampling frames, dialer progress")


@blp.route("/telephony/campaigns")
class Campaigns(MethodView):
    @roles("planner", "analyst")
    @blp.arguments(CampaignQuery, location="query")
    @blp.response(200, CampaignOut(many=True))
    def get(self, query):
        return domain.list_campaigns(db_session(), query["poll_id"])

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(CampaignIn)
    @blp.response(201, CampaignOut)
    def post(self, data):
        """Create a draft campaign for a poll fielded by phone.

        A retry with the same ``Idempotency-Key`` returns the campaign made first."""
        return idempotent(IdempotencyRecord, "campaigns", data,
                          lambda: domain.create_campaign(db_session(), data),
                          reload=lambda campaign_id: domain.get_campaign(db_session(),
                                                                         campaign_id))


@blp.route("/telephony/campaigns/<int:campaign_id>")
class CampaignById(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, CampaignOut)
    def get(self, campaign_id):
        return domain.get_campaign(db_session(), campaign_id)

    @roles("planner")
    @blp.arguments(CampaignPatch)
    @blp.response(200, CampaignOut)
    def patch(self, data, campaign_id):
        """Change settings of a draft, running or paused campaign (409 once cancelled or
        finished); the dialer applies them from its next pass. Each change is logged."""
        return domain.update_campaign(db_session(), campaign_id, data,
                                      by=current_principal().sub)


@blp.route("/telephony/campaigns/<int:campaign_id>/frame")
class CampaignFrame(MethodView):
    @roles("planner")
    @blp.arguments(FrameUpload, location="files")
    @blp.response(200, FrameReport)
    def post(self, files, campaign_id):
        """Import numbers (CSV or XLSX: phone, township, stratum); all rows or none."""
        upload = files["file"]
        return domain.import_frame(db_session(), campaign_id, upload.filename or "frame.csv",
                                   upload.read(), vault())


def _prompts_dir() -> Path:
    return Path(current_app.config["SURVEY_PROMPTS_DIR"])


@blp.route("/telephony/campaigns/<int:campaign_id>/prompts/<string:key>")
class CampaignPrompt(MethodView):
    @roles("planner")
    @blp.arguments(FrameUpload, location="files")
    @blp.response(200, CampaignOut)
    def put(self, files, campaign_id, key):
        """Upload the audio (WAV or MP3) played instead of the spoken text for a question
        id or an IVR phrase (intro, consent, thanks…)."""
        return prompts.store_prompt(db_session(), campaign_id, key, files["file"].read(),
                                    folder=_prompts_dir(),
                                    public_base_url=current_app.config["PUBLIC_BASE_URL"])

    @public
    @file_response(blp, "the prompt's audio", *KINDS.values())
    def get(self, campaign_id, key):
        """The prompt audio, public so that Twilio can fetch it for ``<Play>``."""
        path, mimetype = prompts.prompt_file(_prompts_dir(), campaign_id, key)
        return send_file(path, mimetype=mimetype, max_age=300)


@blp.route("/telephony/campaigns/<int:campaign_id>/<string:action>")
class CampaignAction(MethodView):
    @roles("planner")
    @blp.response(200, CampaignOut)
    def post(self, campaign_id, action):
        """start, pause, resume or cancel the campaign."""
        return domain.change_state(db_session(), campaign_id, action)


@blp.route("/telephony/campaigns/<int:campaign_id>/progress")
class CampaignProgress(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, ProgressOut)
    def get(self, campaign_id):
        """Live progress per township: dialled, in progress, dispositions, RR, quota fill."""
        return domain.progress(db_session(), campaign_id)


@blp.route("/telephony/campaigns/<int:campaign_id>/attempts")
class CampaignAttempts(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, AttemptOut(many=True))
    def get(self, campaign_id):
        """Per-call process data (never the numbers)."""
        return domain.attempts(db_session(), campaign_id)


@blp.route("/telephony/campaigns/<int:campaign_id>/attempts.csv")
class CampaignAttemptsCsv(MethodView):
    @roles("planner", "analyst")
    @file_response(blp, "the process data, one row per call", CSV_MIME)
    def get(self, campaign_id):
        """The process data as CSV (UTF-8 with BOM, for spreadsheets)."""
        return export("csv", f"campaign-{campaign_id}-calls",
                      *domain.attempts_table(db_session(), campaign_id))


@blp.route("/telephony/do-not-call")
class DoNotCallList(MethodView):
    @roles("planner")
    @blp.arguments(DoNotCallIn)
    @blp.response(200, FrameReport)
    def post(self, data):
        """Add numbers to the do-not-call list (kept as keyed hashes only)."""
        return do_not_call.add_numbers(db_session(), data["numbers"], vault())


@blp.route("/telephony/recordings/purge")
class RecordingsPurge(MethodView):
    @roles("planner")
    @blp.response(200, PurgeOut)
    def post(self):
        """Drop the references of recordings past their campaign's retention period."""
        return {"purged": purge_expired(db_session())}
