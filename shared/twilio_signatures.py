"""Twilio webhook authentication: ``X-Twilio-Signature`` checked against the public URL,
for every service that takes Twilio webhooks (the IVR, the SMS status callbacks).

Twilio signs the URL it requested (as configured, i.e. the public URL behind any
gateway) plus the sorted POST parameters with the account's auth token. Behind a
proxy the URL Flask sees differs, so the URL is rebuilt from ``PUBLIC_BASE_URL`` and
the request's path and query string. A missing or wrong signature is a 403 envelope.
"""

from __future__ import annotations

import functools

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
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    params = request.form if request.method == "POST" else {}
    if not validator.validate(public_url(), params, signature):
        raise Forbidden("Invalid X-Twilio-Signature")


def twilio_signed(view):
    """Decorator for webhook views: check the signature first (403 otherwise)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        check_signature()
        return view(*args, **kwargs)

    return wrapper
