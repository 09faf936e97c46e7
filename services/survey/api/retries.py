"""Retried creates: the same ``Idempotency-Key`` returns the resource made the first time.

The record keeps the new resource's id (not its body), so a replay answers with the
resource as it is now; the same key with a different payload is a 409.
"""

from collections.abc import Callable

from flask import request

from services.survey.models import IdempotencyRecord
from shared.db import db_session
from shared.idempotency import remember, replay


def create_once(scope: str, payload: dict, model, make: Callable[[], object]):
    """Run ``make()`` unless this Idempotency-Key already made a ``model``; return it."""
    key = request.headers.get("Idempotency-Key")
    session = db_session()
    if key:
        found = replay(session, IdempotencyRecord, scope, key, payload)
        if found is not None:
            return session.get(model, found[1]["id"])
    made = make()
    if key:
        remember(session, IdempotencyRecord, scope, key, payload, 201, {"id": made.id})
    return made
