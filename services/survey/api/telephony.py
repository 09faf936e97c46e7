"""Telephone campaigns: settings, sampling frame import, pause/resume/cancel, live
progress, process data, the do-not-call list and the recordings purge."""

from __future__ import annotations

from flask import current_app, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from services.survey.models.telephony import CallAttempt
from services.survey.schemas.telephony import CampaignIn, CampaignOut, CampaignPatch
from services.survey.telephony import campaigns as domain
from services.survey.telephony.frame import normalise_number
from services.survey.telephony.prompts import prompt_file, store_prompt
from services.survey.telephony.recordings import purge_expired
from services.survey.telephony.vault import vault
from shared.auth import current_principal, public, roles
from shared.db import db_session
from shared.errors import ValidationFailed
from shared.spreadsheets import export, guard

blp = Blueprint("telephony", __name__,
                description="Telephone polls: campaigns, sampling frames, dialer progress")


class CampaignQuery(Schema):
    poll_id = fields.Int(load_default=None)


class FrameUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class FrameReport(Schema):
    rows = fields.Int()
    imported = fields.Int()
    duplicates = fields.Int()
    do_not_call = fields.Int()


class ActionPath(Schema):
    action = fields.Str(validate=validate.OneOf(["start", "pause", "resume", "cancel"]))


class AttemptOut(Schema):
    id = fields.Int()
    contact_id = fields.Int()
    township = fields.Function(lambda a: a.contact.township)
    attempt_number = fields.Int()
    direction = fields.Str()
    state = fields.Str()
    call_sid = fields.Str(allow_none=True)
    queued_at = fields.DateTime()
    placed_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    call_status = fields.Str(allow_none=True)
    answered_by = fields.Str(allow_none=True)
    duration = fields.Int(allow_none=True)
    outcome = fields.Str(allow_none=True)
    disposition = fields.Str(allow_none=True)
    last_question = fields.Str(allow_none=True)


class DoNotCallIn(Schema):
    numbers = fields.List(fields.Str(), required=True, validate=validate.Length(1, 10000))


class PurgeOut(Schema):
    purged = fields.Int()


@blp.route("/telephony/campaigns")
class Campaigns(MethodView):
    @roles("planner", "analyst")
    @blp.arguments(CampaignQuery, location="query")
    @blp.response(200, CampaignOut(many=True))
    def get(self, query):
        return domain.list_campaigns(db_session(), query["poll_id"])

    @roles("planner")
    @blp.arguments(CampaignIn)
    @blp.response(201, CampaignOut)
    def post(self, data):
        """Create a draft campaign for a poll fielded by phone."""
        return domain.create_campaign(db_session(), data)


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
        session = db_session()
        return domain.update_campaign(session, domain.get_campaign(session, campaign_id),
                                      data, by=current_principal().sub)


@blp.route("/telephony/campaigns/<int:campaign_id>/frame")
class CampaignFrame(MethodView):
    @roles("planner")
    @blp.arguments(FrameUpload, location="files")
    @blp.response(200, FrameReport)
    def post(self, files, campaign_id):
        """Import numbers (CSV or XLSX: phone, township, stratum); all rows or none."""
        upload = files["file"]
        session = db_session()
        return domain.import_frame(session, domain.get_campaign(session, campaign_id),
                                   upload.filename or "frame.csv", upload.read(), vault())


@blp.route("/telephony/campaigns/<int:campaign_id>/prompts/<string:key>")
class CampaignPrompt(MethodView):
    @roles("planner")
    @blp.arguments(FrameUpload, location="files")
    @blp.response(200, CampaignOut)
    def put(self, files, campaign_id, key):
        """Upload the audio (WAV or MP3) played instead of the spoken text for a question
        id or an IVR phrase (intro, consent, thanks…)."""
        session = db_session()
        url = (f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/api/v1/telephony/"
               f"campaigns/{campaign_id}/prompts/{key}")
        return store_prompt(session, domain.get_campaign(session, campaign_id), key,
                            files["file"].read(), url)

    @public
    def get(self, campaign_id, key):
        """The prompt audio, public so that Twilio can fetch it for ``<Play>``."""
        path, mimetype = prompt_file(campaign_id, key)
        return send_file(path, mimetype=mimetype, max_age=300)


@blp.route("/telephony/campaigns/<int:campaign_id>/<string:action>")
class CampaignAction(MethodView):
    @roles("planner")
    @blp.response(200, CampaignOut)
    def post(self, campaign_id, action):
        """start, pause, resume or cancel the campaign."""
        if action not in domain.TRANSITIONS:
            raise ValidationFailed("Unknown action", {"action": [
                f"one of {', '.join(domain.TRANSITIONS)}"]})
        session = db_session()
        return domain.change_state(session, domain.get_campaign(session, campaign_id), action)


@blp.route("/telephony/campaigns/<int:campaign_id>/progress")
class CampaignProgress(MethodView):
    @roles("planner", "analyst")
    @blp.response(200)
    def get(self, campaign_id):
        """Live progress per township: dialled, in progress, dispositions, RR, quota fill."""
        session = db_session()
        return domain.progress(session, domain.get_campaign(session, campaign_id))


@blp.route("/telephony/campaigns/<int:campaign_id>/attempts")
class CampaignAttempts(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, AttemptOut(many=True))
    def get(self, campaign_id):
        """Per-call process data (never the numbers)."""
        session = db_session()
        domain.get_campaign(session, campaign_id)
        return session.scalars(select(CallAttempt).where(CallAttempt.campaign_id == campaign_id)
                               .order_by(CallAttempt.id)).all()


PROCESS_COLUMNS = ("id", "contact_id", "township", "attempt_number", "direction", "state",
                   "call_sid", "queued_at", "placed_at", "answered_at", "ended_at",
                   "call_status", "answered_by", "duration", "outcome", "disposition",
                   "last_question")


@blp.route("/telephony/campaigns/<int:campaign_id>/attempts.csv")
class CampaignAttemptsCsv(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, content_type="text/csv")
    def get(self, campaign_id):
        """The process data as CSV (UTF-8 with BOM, for spreadsheets)."""
        session = db_session()
        domain.get_campaign(session, campaign_id)
        rows = AttemptOut(many=True).dump(session.scalars(
            select(CallAttempt).where(CallAttempt.campaign_id == campaign_id)
            .order_by(CallAttempt.id)).all())
        return export("csv", f"campaign-{campaign_id}-calls", PROCESS_COLUMNS,
                      ([row.get(c) for c in PROCESS_COLUMNS] for row in rows),
                      cell=lambda value: "" if value is None else guard(value))


@blp.route("/telephony/do-not-call")
class DoNotCallList(MethodView):
    @roles("planner")
    @blp.arguments(DoNotCallIn)
    @blp.response(200, FrameReport)
    def post(self, data):
        """Add numbers to the do-not-call list (kept as keyed hashes only)."""
        problems, added = {}, 0
        hashes = []
        for i, raw in enumerate(data["numbers"]):
            try:
                hashes.append(vault().digest(normalise_number(raw)))
            except ValueError as exc:
                problems[f"numbers.{i}"] = [str(exc)]
        if problems:
            raise ValidationFailed("Invalid numbers", problems)
        for digest in hashes:
            added += domain.add_do_not_call(db_session(), digest, "api")
        return {"rows": len(hashes), "imported": added, "duplicates": len(hashes) - added,
                "do_not_call": 0}


@blp.route("/telephony/recordings/purge")
class RecordingsPurge(MethodView):
    @roles("planner")
    @blp.response(200, PurgeOut)
    def post(self):
        """Drop the references of recordings past their campaign's retention period."""
        return {"purged": purge_expired(db_session())}
