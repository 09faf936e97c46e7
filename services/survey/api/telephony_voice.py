"""Twilio webhooks of the IVR (public, authenticated by ``X-Twilio-Signature``).

Twilio POSTs form parameters and expects TwiML (``text/xml``). Every view checks the
signature against ``PUBLIC_BASE_URL`` first (403 envelope otherwise); the call flow
itself is in ``services.survey.telephony.webhooks``.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey.schemas.downloads import file_response
from services.survey.telephony import webhooks
from services.survey.telephony.gather_wsgi import DECLINED
from services.survey.telephony.keypad_answers import store_keypad_answer
from services.survey.telephony.signatures import twilio_signed
from services.survey.telephony.twilio_api import webhook_url
from services.survey.telephony.vault import vault
from shared.auth import public
from shared.db import db_session
from shared.errors import ValidationFailed

blp = Blueprint("telephony-voice", __name__,
                description="Twilio voice webhooks (signed by Twilio, no bearer token)")
# The body of a webhook's answer: TwiML, what the call does next.
twiml_response = file_response(blp, "TwiML: what the call does next", "text/xml")


def _url(step: str, **params) -> str:
    return webhook_url(current_app.config["PUBLIC_BASE_URL"], step, **params)


def _int_arg(name: str, default: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None and default is not None:
        return default
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed("Bad webhook URL", {name: ["an integer is required"]}) from None


def _call():
    session = db_session()
    call_sid = request.form.get("CallSid", "")
    if "attempt" not in request.args:  # e.g. the inbound number's status callback
        return session, webhooks.load_call_by_sid(session, call_sid, _url)
    return session, webhooks.load_call(session, _int_arg("attempt"), call_sid, _url)


def _twiml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


@blp.route("/telephony/voice/answer")
class VoiceAnswer(MethodView):
    @public
    @twilio_signed
    @twiml_response
    def post(self):
        """The call's Url: consent (or resume) prompt; a machine is hung up on."""
        session, call = _call()
        return _twiml(webhooks.answer(session, call, request.form))


@blp.route("/telephony/voice/consent")
class VoiceConsent(MethodView):
    @public
    @twilio_signed
    @twiml_response
    def post(self):
        """Gather action of the consent prompt."""
        session, call = _call()
        return _twiml(webhooks.consent(session, call, request.form.get("Digits", ""),
                                       _int_arg("tries", 1)))


@blp.route("/telephony/voice/question")
class VoiceQuestion(MethodView):
    @public
    @twilio_signed
    @twiml_response
    def post(self):
        """Gather action of a question: store the answer, re-prompt, or go on."""
        qid, digits, tries = request.args.get("q", ""), request.form.get("Digits", ""), \
            _int_arg("tries", 1)
        if ("attempt" in request.args and current_app.config.get("TELEPHONY_DIRECT_GATHER", True)
                and not request.environ.get(DECLINED)):  # gave way in front of Flask already
            twiml = store_keypad_answer(current_app.extensions["kaoping"].engine,
                                        _int_arg("attempt"),
                                        request.form.get("CallSid", ""), qid, digits, tries, _url)
            if twiml is not None:
                return _twiml(twiml)
        session, call = _call()
        return _twiml(webhooks.question(session, call, qid, digits, tries))


@blp.route("/telephony/voice/recorded")
class VoiceRecorded(MethodView):
    @public
    @twilio_signed
    @twiml_response
    def post(self):
        """Record action (or the Redirect after a silent Record)."""
        session, call = _call()
        return _twiml(webhooks.recorded(session, call, request.args.get("q", ""), request.form))


@blp.route("/telephony/voice/recording")
class VoiceRecordingStatus(MethodView):
    @public
    @twilio_signed
    @blp.response(204)
    def post(self):
        """Recording status callback: completed or absent."""
        session, call = _call()
        webhooks.recording_status(session, call, request.args.get("q", ""), request.form)
        return Response(status=204)


@blp.route("/telephony/voice/status")
class VoiceStatus(MethodView):
    @public
    @twilio_signed
    @blp.response(204)
    def post(self):
        """Call status callback: initiated, ringing, answered, completed (and failures)."""
        session, call = _call()
        webhooks.status(session, call, request.form)
        return Response(status=204)


@blp.route("/telephony/voice/inbound")
class VoiceInbound(MethodView):
    @public
    @twilio_signed
    @twiml_response
    def post(self):
        """A call to the poll's number: a sampled resident continues their interview."""
        return _twiml(webhooks.inbound(db_session(), request.form, vault(), _url))
