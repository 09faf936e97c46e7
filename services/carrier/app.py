"""create_app() of the simulated carrier: the Twilio voice REST API subset Kaoping uses.

Endpoints (HTTP Basic auth ``AccountSid:AuthToken`` on every one):

- ``POST /2010-04-01/Accounts/{Sid}/Calls.json`` — place a call (201, the call resource)
- ``GET  /2010-04-01/Accounts/{Sid}/Calls.json`` — list calls (``To``, ``Status`` filters)
- ``GET  /2010-04-01/Accounts/{Sid}/Calls/{CallSid}.json`` — one call
- ``POST /2010-04-01/Accounts/{Sid}/Calls/{CallSid}.json`` — ``Status=completed|canceled``
- ``GET  /2010-04-01/Accounts/{Sid}/Recordings/{RecordingSid}`` — the audio (WAV)
- ``POST /2010-04-01/Accounts/{Sid}/Messages.json`` — send an SMS (201, the message;
  signed status callbacks follow, see ``messages.py``)
- ``GET  /2010-04-01/Accounts/{Sid}/Messages.json`` — list messages (``To`` filter)
- ``POST /sim/inbound`` — simulate a resident calling in (``From``, ``To``, ``Url``)
- ``POST /sim/sms-reply`` — simulate a recipient's reply (``From``, ``Body``; STOP
  unsubscribes, optional ``SmsUrl`` receives it signed)
- ``GET  /sim/stats`` — counts of calls by status and the achieved calls per second
"""

from __future__ import annotations

import io
import wave

from flask import Flask, Response, jsonify, request

from services.carrier.calls import API_VERSION, Switchboard
from services.carrier.config import CarrierSettings
from services.carrier.messages import Outbox
from services.carrier.player import play
from services.carrier.respondents import Profile
from services.carrier.validation import TwilioError, parse_call_request


def create_app(test_config: dict | None = None) -> Flask:
    """The carrier with the settings of the environment (``CarrierSettings.from_env``),
    then ``test_config`` (``ACCOUNTS``, ``PROFILE``, ``CPS``, ``MAX_ACTIVE``,
    ``TIME_SCALE``, ``PUBLIC_URL``)."""
    app = Flask("carrier")
    app.config.update(CarrierSettings.from_env().flask_config())
    app.config.update(test_config or {})
    board = Switchboard(accounts=app.config["ACCOUNTS"],
                        profile=Profile.from_dict(app.config["PROFILE"]), play=play,
                        cps=float(app.config["CPS"]), max_active=int(app.config["MAX_ACTIVE"]),
                        time_scale=float(app.config["TIME_SCALE"]))
    board.public_url = (app.config["PUBLIC_URL"] or "").rstrip("/")
    app.extensions["carrier"] = board
    outbox = app.extensions["carrier_outbox"] = Outbox(board.token_for)
    _routes(app, board)
    _message_routes(app, outbox)
    return app


def _twilio_error(error: TwilioError):
    response = jsonify(error.body())
    response.status_code = error.status
    return response


def _routes(app: Flask, board: Switchboard) -> None:
    app.register_error_handler(TwilioError, _twilio_error)
    prefix = f"/{API_VERSION}/Accounts/<account_sid>"

    @app.before_request
    def authenticate():
        if request.path in ("/healthz", "/readyz"):
            return None
        credentials = request.authorization
        account = (request.view_args or {}).get("account_sid") or (
            credentials.username if credentials else None)
        if (credentials is None or credentials.username != account
                or board.token_for(account) != credentials.password):
            error = TwilioError(20003, "Authenticate", status=401)
            response = _twilio_error(error)
            response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return response
        if not board.public_url:
            board.public_url = request.host_url.rstrip("/")
        return None

    @app.get("/healthz")
    @app.get("/readyz")
    def health():
        return jsonify(status="ok", service="carrier")

    @app.post(f"{prefix}/Calls.json")
    def create_call(account_sid: str):
        call = board.place(account_sid, parse_call_request(request.form))
        return jsonify(call.resource()), 201

    @app.get(f"{prefix}/Calls.json")
    def list_calls(account_sid: str):
        to, status = request.args.get("To"), request.args.get("Status")
        try:
            size = min(max(int(request.args.get("PageSize", 50)), 1), 1000)
        except ValueError:
            raise TwilioError(20001, "PageSize must be an integer") from None
        calls = [c for c in list(board.calls.values()) if c.account_sid == account_sid
                 and (not to or c.request.to == to) and (not status or c.status == status)]
        calls.sort(key=lambda c: c.created, reverse=True)
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls.json"
        return jsonify({"calls": [c.resource() for c in calls[:size]], "page": 0,
                        "page_size": size, "first_page_uri": uri, "next_page_uri": None,
                        "previous_page_uri": None, "uri": uri, "start": 0,
                        "end": min(size, len(calls)) - 1})

    def _call_or_404(account_sid: str, call_sid: str):
        call = board.get(call_sid)
        if call is None or call.account_sid != account_sid:
            raise TwilioError(20404, f"The requested resource /{API_VERSION}/Accounts/"
                                     f"{account_sid}/Calls/{call_sid}.json was not found", 404)
        return call

    @app.get(f"{prefix}/Calls/<call_sid>.json")
    def get_call(account_sid: str, call_sid: str):
        return jsonify(_call_or_404(account_sid, call_sid).resource())

    @app.post(f"{prefix}/Calls/<call_sid>.json")
    def update_call(account_sid: str, call_sid: str):
        call = _call_or_404(account_sid, call_sid)
        if request.form.get("Status") not in ("completed", "canceled"):
            raise TwilioError(21218, "Status must be completed or canceled")
        board.hang_up(call.sid)
        return jsonify(call.resource())

    @app.get(f"{prefix}/Recordings/<recording_sid>")
    def recording_media(account_sid: str, recording_sid: str):
        sid = recording_sid.split(".")[0]
        recording = board.recordings.get(sid)
        if recording is None:
            raise TwilioError(20404, f"Recording {sid} was not found", 404)
        return Response(_silence_wav(min(recording["duration"], 10)), mimetype="audio/x-wav")

    @app.post("/sim/inbound")
    def inbound():
        form = request.form
        call_request = parse_call_request(form)
        account = request.authorization.username
        call = board.place(account, call_request, direction="inbound")
        return jsonify(call.resource()), 201

    @app.get("/sim/stats")
    def stats():
        counts: dict[str, int] = {}
        for call in list(board.calls.values()):
            counts[call.status] = counts.get(call.status, 0) + 1
        starts = sorted(board.started_at)
        span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
        return jsonify(calls=len(board.calls), by_status=counts, busy=board.busy(),
                       achieved_cps=(len(starts) - 1) / span if span else None,
                       cps_limit=board.cps)


def _message_routes(app: Flask, outbox: Outbox) -> None:
    prefix = f"/{API_VERSION}/Accounts/<account_sid>"

    @app.post(f"{prefix}/Messages.json")
    def create_message(account_sid: str):
        return jsonify(outbox.send(account_sid, request.form).resource()), 201

    @app.get(f"{prefix}/Messages.json")
    def list_messages(account_sid: str):
        to = request.args.get("To")
        found = [m.resource() for m in list(outbox.messages.values())
                 if m.account_sid == account_sid and (not to or m.to == to)]
        found.sort(key=lambda m: m["sid"])
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
        return jsonify({"messages": found, "page": 0, "page_size": len(found),
                        "first_page_uri": uri, "next_page_uri": None,
                        "previous_page_uri": None, "uri": uri, "start": 0,
                        "end": max(len(found) - 1, 0)})

    @app.post("/sim/sms-reply")
    def sms_reply():
        return jsonify(outbox.reply(request.authorization.username, request.form))


def _silence_wav(seconds: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * max(seconds, 1))
    return buffer.getvalue()
