"""The keypad answer's lean path: the Gather webhook of a question answered without Flask.

A poll's webhook load is mostly ``Gather`` actions of questions, and their common case
(``keypad_answers.store_keypad_answer``: a valid key, the question the interview is at)
is two statements on the database. Around it Flask cost more than the answer itself:
request context, routing, a dozen hooks (request id, metrics, auth, body checks,
session commit), form parsing. This WSGI middleware sits in front of the survey app
and answers that one case itself, with the same domain functions and the same checks:

- only ``POST /api/v1/telephony/voice/question?attempt=…`` with a form body of known
  length (at most ``MAX_BODY`` bytes and the app's ``MAX_CONTENT_LENGTH``), and only
  while ``TELEPHONY_DIRECT_GATHER`` and ``TELEPHONY_LEAN_GATHER`` are on (tests turn
  the latter off to compare with the view's own direct path);
- the signature must be Twilio's signature of the public URL and the form
  (``shared.twilio_signatures.signs``, the algorithm of twilio's ``compute_signature``);
- ``store_keypad_answer`` stores the answer (or finds the replay) and gives the TwiML,
  on a connection each server thread keeps checked out in autocommit
  (``store_keypad_answer_held``).

Anything else — another path or method, a signature that does not match exactly (the
app tries twilio's validator, then answers 403), a bad query, an unusual call
(``store_keypad_answer`` gives way), any exception — is handed to the Flask app with
the body as it came, and the app does everything as before (a request the direct path
gave way on is marked, so that the view goes straight to the general path). What the
app adds to every response is added here too: the request id (echoed or new), the
access log line, and the request metrics under the view's own endpoint name.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from urllib.parse import parse_qs, parse_qsl

from flask import Flask

from services.survey.telephony.keypad_answers import store_keypad_answer_held
from services.survey.telephony.twilio_api import webhook_url
from shared.app import API_PREFIX
from shared.logs import valid_request_id
from shared.metrics import request_metrics
from shared.twilio_signatures import signs

PATH = f"{API_PREFIX}/telephony/voice/question"
MAX_BODY = 16 * 1024  # Twilio's Gather parameters take well under 2 KiB
# In the environ of a request the direct path gave way on (the view then skips it).
DECLINED = "kaoping.direct_gather_declined"
_FORM = "application/x-www-form-urlencoded"
access = logging.getLogger("kaoping.access")
log = logging.getLogger("kaoping.survey.gather")


class DirectGather:
    """WSGI middleware: the common keypad answer answered here, the rest by ``wrapped``
    (the Flask app's own ``wsgi_app``)."""

    def __init__(self, app: Flask, wrapped) -> None:
        self.app = app
        self.wrapped = wrapped
        self.endpoint = next(rule.endpoint for rule in app.url_map.iter_rules()
                             if rule.rule == PATH)

    def __call__(self, environ, start_response):
        config = self.app.config
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST"
                or not config.get("TELEPHONY_DIRECT_GATHER", True)
                or not config.get("TELEPHONY_LEAN_GATHER", True)):
            return self.wrapped(environ, start_response)
        body = _small_form_body(environ, config.get("MAX_CONTENT_LENGTH"))
        if body is None:
            return self.wrapped(environ, start_response)
        started = time.perf_counter()
        metrics = request_metrics(self.app)
        metrics.in_progress.inc()
        try:
            twiml = self._answer(environ, body)
        except Exception:  # the app answers it as it always did (envelope, logs)
            log.debug("direct gather failed; handed to the app", exc_info=True)
            twiml = None
        finally:
            metrics.in_progress.dec()
        if twiml is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.wrapped(environ, start_response)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if valid_request_id(incoming) else uuid.uuid4().hex
        payload = twiml.encode()
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(payload))),
                                  ("X-Request-ID", request_id)])
        elapsed = time.perf_counter() - started
        metrics.observe(self.endpoint, "POST", "200", elapsed)
        if access.isEnabledFor(logging.INFO):
            access.info("request", extra={"path": PATH, "method": "POST", "status": 200,
                                          "duration_ms": round(elapsed * 1000, 1),
                                          "request_id": request_id})
        return [payload]

    def _answer(self, environ, body: bytes) -> str | None:
        """The TwiML when the direct path answered; None hands the request on."""
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        query = environ.get("QUERY_STRING", "")
        args = parse_qs(query, keep_blank_values=True)
        if not signature or "attempt" not in args:
            return None
        config = self.app.config
        base = config["PUBLIC_BASE_URL"].rstrip("/")
        form: dict[str, list[str]] = {}
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            form.setdefault(name, []).append(value)
        url = f"{base}{PATH}" + (f"?{query}" if query else "")
        if not signs(config["TWILIO_AUTH_TOKEN"], url, _Form(form), signature):
            return None
        try:
            attempt_id = int(args["attempt"][0])
            tries = int(args["tries"][0]) if "tries" in args else 1
        except ValueError:
            return None

        def step_url(step: str, **params) -> str:
            return webhook_url(config["PUBLIC_BASE_URL"], step, **params)

        twiml = store_keypad_answer_held(self.app.extensions["kaoping"].engine, attempt_id,
                                         _first(form, "CallSid"), _first(args, "q"),
                                         _first(form, "Digits"), tries, step_url)
        if twiml is None:
            environ[DECLINED] = True
        return twiml


class _Form(dict):
    """Parsed form fields (name → values) as ``signs`` reads a MultiDict."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def _first(values: dict[str, list[str]], name: str) -> str:
    return values[name][0] if name in values else ""


def _small_form_body(environ, limit: int | None) -> bytes | None:
    """The whole body of a form of known, small length; None (nothing read) otherwise."""
    if not environ.get("CONTENT_TYPE", "").startswith(_FORM):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not 0 < length <= min(MAX_BODY, limit or MAX_BODY):
        return None
    body = environ["wsgi.input"].read(length)
    if len(body) != length:  # cut short: the app answers it as it would have
        environ["wsgi.input"] = io.BytesIO(body)
        return None
    return body
