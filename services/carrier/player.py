"""Plays one call: status callbacks, TwiML fetched from the application, the respondent.

Every request to the application is signed with ``X-Twilio-Signature`` by the twilio
``RequestValidator`` (HMAC-SHA1 of the URL and the sorted POST parameters with the
account's auth token), exactly as Twilio signs its webhooks. Simulated time advances
with each verb (speech at about 5 characters a second, pauses, timeouts); real time is
that times the switchboard's ``time_scale``.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urlencode, urljoin

import requests
from twilio.request_validator import RequestValidator

from services.carrier.calls import API_VERSION, Call, Switchboard, new_sid
from services.carrier.respondents import HANG_UP, Respondent

log = logging.getLogger("kaoping.carrier")
MAX_DOCUMENTS = 200
_local = threading.local()


class CallEnded(Exception):
    """The callee or the application ended the call."""


def _http() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


class CallPlayer:
    def __init__(self, board: Switchboard, call: Call):
        self.board = board
        self.call = call
        self.validator = RequestValidator(board.token_for(call.account_sid) or "")
        number = call.request.to if call.direction == "outbound-api" else call.request.from_
        self.respondent = Respondent(board.profile, number, call.attempt)
        self.machine = False
        self.seconds = 0.0

    # --- HTTP to the application -------------------------------------------------------
    def signed(self, method: str, url: str, params: dict) -> requests.Response:
        """Send a webhook request signed as Twilio signs it."""
        params = {k: v for k, v in params.items() if v is not None}
        if method == "GET":
            url = url + ("&" if "?" in url else "?") + urlencode(params)
            signature = self.validator.compute_signature(url, {})
            return _http().get(url, headers={"X-Twilio-Signature": signature},
                               timeout=self.board.http_timeout)
        signature = self.validator.compute_signature(url, params)
        return _http().post(url, data=params, headers={"X-Twilio-Signature": signature},
                            timeout=self.board.http_timeout)

    def base_params(self) -> dict:
        call, request = self.call, self.call.request
        return {"CallSid": call.sid, "AccountSid": call.account_sid, "From": request.from_,
                "To": request.to, "Caller": request.from_, "Called": request.to,
                "CallStatus": call.status, "Direction": call.direction,
                "ApiVersion": API_VERSION, "AnsweredBy": call.answered_by}

    def status_event(self, event: str) -> None:
        request = self.call.request
        if not request.status_callback or event not in request.status_callback_events:
            return
        params = self.base_params()
        params.update(CallbackSource="call-progress-events", SequenceNumber=str(self.call.sequence),
                      Timestamp=datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"))
        self.call.sequence += 1
        if event == "completed":
            params["CallDuration"] = str(self.call.duration or 0)
            params["Duration"] = str(max(1, -(-(self.call.duration or 0) // 60)))
        try:
            self.signed(request.status_callback_method, request.status_callback, params)
        except requests.RequestException as exc:
            log.warning("status callback %s for %s failed: %s", event, self.call.sid, exc)

    def fetch(self, method: str, url: str, extra: dict | None = None) -> ET.Element:
        if self.call.hangup_requested:
            raise CallEnded("hang-up requested over the API")
        params = self.base_params()
        params.update(extra or {})
        try:
            response = self.signed(method, url, params)
        except requests.RequestException as exc:
            self.note("application-error", str(exc))
            raise CallEnded("application unreachable") from None
        if response.status_code >= 400:
            self.note("application-error", f"HTTP {response.status_code} from {url}")
            raise CallEnded("application error")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError:
            self.note("application-error", "TwiML is not XML")
            raise CallEnded("bad TwiML") from None
        if root.tag != "Response":
            self.note("application-error", f"root element {root.tag}")
            raise CallEnded("bad TwiML")
        self.url = url
        return root

    def note(self, kind: str, detail: str) -> None:
        self.call.transcript.append((kind, detail))

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
        self.board.sleep(seconds)

    # --- the call ----------------------------------------------------------------------
    def play(self) -> None:
        call, request = self.call, self.call.request
        call.touch("initiated")
        self.status_event("initiated")
        outcome = "human" if call.direction == "inbound" else self.respondent.outcome()
        if outcome in ("failed", "busy"):
            return self.finish(outcome)
        call.touch("ringing")
        self.status_event("ringing")
        if outcome == "no-answer":
            self.board.sleep(request.timeout)
            return self.finish("no-answer")
        self.machine = outcome == "machine"
        if request.machine_detection:
            call.answered_by = "machine_start" if self.machine else "human"
        call.start_time = datetime.now(UTC)
        call.touch("in-progress")
        self.status_event("answered")
        try:
            self.run_documents(request.method, request.url)
        except CallEnded as ended:
            self.note("ended", str(ended))
        self.finish("completed")

    def finish(self, status: str) -> None:
        call = self.call
        call.end_time = datetime.now(UTC)
        call.duration = int(round(self.seconds)) if status == "completed" else 0
        call.touch(status)
        self.status_event("completed")

    def run_documents(self, method: str, url: str, extra: dict | None = None) -> None:
        for _ in range(MAX_DOCUMENTS):
            root = self.fetch(method, url, extra)
            step = self.run_verbs(root)
            if step is None:
                return
            method, url, extra = step
        self.note("application-error", "too many documents")

    def run_verbs(self, root: ET.Element):
        """Execute a document; return the next request ``(method, url, params)`` or None."""
        for verb in root:
            if self.call.hangup_requested:
                raise CallEnded("hang-up requested over the API")
            handler = getattr(self, f"verb_{verb.tag.lower()}", None)
            if handler is None:
                self.note("unsupported", verb.tag)
                continue
            step = handler(verb)
            if step == "hangup":
                return None
            if step is not None:
                return step
        return None

    def verb_say(self, verb: ET.Element) -> None:
        text = verb.text or ""
        self.note("say", text)
        self.advance(max(1.0, len(text) / 5) * int(verb.get("loop", "1") or 1))

    def verb_play(self, verb: ET.Element) -> None:
        self.note("play", verb.text or "")
        self.advance(3.0 * int(verb.get("loop", "1") or 1))

    def verb_pause(self, verb: ET.Element) -> None:
        self.advance(float(verb.get("length", "1")))

    def verb_hangup(self, _verb: ET.Element) -> str:
        return "hangup"

    verb_reject = verb_hangup

    def verb_redirect(self, verb: ET.Element):
        return (verb.get("method", "POST").upper(), urljoin(self.url, (verb.text or "").strip()),
                None)

    def verb_gather(self, verb: ET.Element):
        prompt = []
        for child in verb:
            if child.tag == "Say":
                prompt.append(child.text or "")
            handler = getattr(self, f"verb_{child.tag.lower()}", None)
            if handler is not None:
                handler(child)
        num_digits = int(verb.get("numDigits")) if verb.get("numDigits") else None
        finish_key = verb.get("finishOnKey", "#")
        timeout = float(verb.get("timeout", "5"))
        keys = None if self.machine else self.respondent.press(" ".join(prompt), num_digits)
        if keys == HANG_UP:
            self.note("respondent", "hung up")
            raise CallEnded("callee hung up")
        action = urljoin(self.url, verb.get("action") or self.url)
        method = verb.get("method", "POST").upper()
        if not keys:
            self.advance(timeout)
            self.note("gather", "")
            if verb.get("actionOnEmptyResult", "false").lower() == "true":
                return method, action, {"Digits": "", "FinishedOnKey": ""}
            return None
        finished = ""
        if num_digits is None or len(keys) < num_digits:
            finished = finish_key
        self.advance(1.0 + len(keys) * 0.5)
        self.note("gather", keys)
        return method, action, {"Digits": keys, "FinishedOnKey": finished}

    def verb_record(self, verb: ET.Element):
        max_length = int(verb.get("maxLength", "3600"))
        spoken = 0 if self.machine else self.respondent.speak(max_length)
        timeout = float(verb.get("timeout", "5"))
        callback = verb.get("recordingStatusCallback")
        callback_method = verb.get("recordingStatusCallbackMethod", "POST").upper()
        events = (verb.get("recordingStatusCallbackEvent") or "completed").replace(",", " ").split()
        recording_sid = new_sid("RE")
        if not spoken:
            self.advance(timeout)
            self.note("record", "silence")
            if callback and "absent" in events:
                self.recording_status(callback, callback_method, recording_sid, "absent", 0)
            return None
        self.advance(spoken)
        media = (f"{self.board.public_url}/{API_VERSION}/Accounts/{self.call.account_sid}"
                 f"/Recordings/{recording_sid}")
        self.board.recordings[recording_sid] = {"duration": spoken, "call_sid": self.call.sid}
        self.note("record", f"{spoken}s")
        action = urljoin(self.url, verb.get("action") or self.url)
        step = (verb.get("method", "POST").upper(), action,
                {"RecordingUrl": media, "RecordingSid": recording_sid,
                 "RecordingDuration": str(spoken), "Digits": "hangup"})
        if callback:
            self.recording_status(callback, callback_method, recording_sid, "completed", spoken,
                                  media)
        return step

    def recording_status(self, url: str, method: str, sid: str, status: str, duration: int,
                         media: str | None = None) -> None:
        params = {"AccountSid": self.call.account_sid, "CallSid": self.call.sid,
                  "RecordingSid": sid, "RecordingUrl": media, "RecordingStatus": status,
                  "RecordingDuration": str(duration), "RecordingChannels": "1",
                  "RecordingSource": "RecordVerb",
                  "RecordingStartTime": datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")}
        try:
            self.signed(method, urljoin(self.url, url), params)
        except requests.RequestException as exc:
            log.warning("recording callback for %s failed: %s", sid, exc)


def play(board: Switchboard, call: Call) -> None:
    CallPlayer(board, call).play()
