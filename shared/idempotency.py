"""Idempotent writes: a replay returns the original result, a changed payload is a 409.

Each service declares ``class IdempotencyRecord(IdempotencyMixin, Base)`` and calls
``replay(...)`` before doing the work and ``remember(...)`` after it, in the same
transaction, so that the record and the work commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared.db import utcnow
from shared.errors import Conflict


class IdempotencyMixin:
    __tablename__ = "idempotency_records"

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def payload_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a payload."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, model, scope: str, key: str, payload: Any):
    """Return ``(status, response)`` of an earlier identical request, or None.

    Raises Conflict when the key was used with a different payload.
    """
    record = session.scalar(select(model).where(model.scope == scope, model.key == key))
    if record is None:
        return None
    if record.request_hash != payload_hash(payload):
        raise Conflict(f"Idempotency key {key!r} was already used with a different payload",
                       {"idempotency_key": ["reused with a different payload"]})
    return record.status_code, record.response


def remember(session: Session, model, scope: str, key: str, payload: Any,
             status: int, response: Any) -> None:
    session.add(model(scope=scope, key=key, request_hash=payload_hash(payload),
                      status_code=status, response=response))
