"""Twilio webhook authentication: ``X-Twilio-Signature`` checked against the public URL,
for every service that takes Twilio webhooks (the IVR, the SMS status callbacks).

Twilio signs the URL it requested (as configured, i.e. the public URL behind any
gateway) plus the sorted POST parameters with the account's auth token. Behind a
proxy the URL Flask sees differs, so the URL is rebuilt from ``PUBLIC_BASE_URL`` and
the request's path and query string. A missing or wrong signature is a 403 envelope.

The signature is HMAC-SHA1 of the URL followed by each parameter's name and values
(sorted), base64. The URL as rebuilt is checked first, by ``hmac`` directly; only a
signature that does not match it goes to twilio's ``RequestValidator.validate``, which
also tries the URL with and without its port (parsing it each time): a valid request
costs one HMAC instead of two and no URL parsing, and what is accepted is unchanged.
"""

from __future__ import annotations

import base64
import functools
import hmac
from hashlib import sha1

from flask import current_app, request
from twilio.request_validator import RequestValidator

from shared.errors import Forbidden


def public_url() -> str:
    """The URL Twilio requested: ``PUBLIC_BASE_URL`` + path (+ query)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def check_signature() -> None:
    """Raise Forbidden unless the request carries a valid Twilio signature."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        raise Forbidden("Missing X-Twilio-Signature")
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    params = request.form if request.method == "POST" else {}
    url = public_url()
    if signs(token, url, params, signature):
        return
    if not RequestValidator(token).validate(url, params, signature):
        raise Forbidden("Invalid X-Twilio-Signature")


def signs(token: str, url: str, params, signature: str) -> bool:
    """True when ``signature`` is Twilio's signature of exactly ``url`` and ``params``
    (a MultiDict or a dict); what ``RequestValidator.compute_signature`` computes."""
    data = url
    for name in sorted(set(params)):
        values = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        for value in sorted(set(values)):
            data += name + value
    digest = hmac.new(token.encode("utf-8"), data.encode("utf-8"), sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode("utf-8"))


def twilio_signed(view):
    """Decorator for webhook views: check the signature first (403 otherwise)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        check_signature()
        return view(*args, **kwargs)

    return wrapper
