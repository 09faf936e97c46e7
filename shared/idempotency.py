"""Idempotent writes: a retry returns the first result, a changed payload is a 409.

Each service declares ``class IdempotencyRecord(IdempotencyMixin, Base)``. A view that
takes an ``Idempotency-Key`` runs its work through :func:`idempotent`; code with its
own statements (the inspection submission, the IVR's keypad answer) reads with
:func:`recorded` and writes :func:`record_values` into the same table.

Concurrent retries: the key is claimed before the work, with ``INSERT … ON CONFLICT DO
NOTHING`` in the request's transaction. A second request with the same key waits at
its claim on the first one's lock (PostgreSQL: the unique-index entry; SQLite: the
database write lock) until the first commits, then finds the record and replays it;
when the first rolled back (its request failed), the second's claim succeeds and it
does the work itself. So the loser of a race gets the winner's answer, never a 500.
A sequential replay only reads. The record and the work commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Integer, String, UniqueConstraint, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared.db import UTCDateTime, insert_unless_present, utcnow
from shared.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200  # the ``key`` column's length
# The header in a view's OpenAPI document: ``@blp.doc(**HEADER_DOC)``.
HEADER_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "client UUID: a retry returns the first result; another payload is a 409"}]}
# ``status_code`` of a key claimed by a transaction that has not finished its work; no
# other transaction ever reads it (it commits with the final status or not at all).
PENDING = 0

T = TypeVar("T")


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def payload_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of a payload."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_values(scope: str, key: str, request_hash: str, status: int,
                  response: Any) -> dict[str, Any]:
    """The columns of a record, for code that inserts it with its own statement."""
    return {"scope": scope, "key": key, "request_hash": request_hash, "status_code": status,
            "response": response, "created_at": utcnow()}


def recorded(session: Session, model, scope: str, key: str,
             request_hash: str) -> tuple[int, Any] | None:
    """``(status, response)`` stored for ``key`` by an identical request, or None.

    Raises Conflict (409) when the key was used with a different payload, or when the
    record is still :data:`PENDING` (which only a crashed writer's data could show).
    """
    found = session.execute(_statements(model)[0], {"b_scope": scope, "b_key": key}).first()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise Conflict(f"Idempotency key {key!r} was already used with a different payload",
                       {"idempotency_key": ["reused with a different payload"]})
    if found.status_code == PENDING:
        raise Conflict(f"The request with idempotency key {key!r} is still in progress",
                       {"idempotency_key": ["in progress; retry later"]})
    return found.status_code, found.response


def replay(session: Session, model, scope: str, key: str, payload: Any):
    """:func:`recorded` for a payload rather than its hash."""
    return recorded(session, model, scope, key, payload_hash(payload))


def claim(session: Session, model, scope: str, key: str, request_hash: str) -> bool:
    """Insert a :data:`PENDING` record for ``key``; False when one exists already.

    Waits for a concurrent transaction that claimed the same key to finish.
    """
    return insert_unless_present(session, model,
                                 record_values(scope, key, request_hash, PENDING, {}),
                                 ["scope", "key"])


def settle(session: Session, model, scope: str, key: str, status: int,
           response: Any) -> None:
    """Store the final status and response of a claimed key."""
    session.execute(_statements(model)[1], {"b_scope": scope, "b_key": key,
                                            "b_status": status, "b_response": response})


def run_once(session: Session, model, scope: str, key: str, payload: Any,
             work: Callable[[], T], *, status: int = 201,
             keep: Callable[[T], Any] | None = None,
             answer: Callable[[int, Any], Any] | None = None) -> Any:
    """Run ``work()`` once for ``(scope, key)`` and return its result.

    ``keep(result)`` is what the record stores (default: the result as JSON);
    a replay returns ``answer(status, stored)`` (default: the stored JSON itself).
    Raises Conflict (409) for the key with another payload.
    """
    request_hash = payload_hash(payload)
    stored = recorded(session, model, scope, key, request_hash)
    if stored is None and not claim(session, model, scope, key, request_hash):
        stored = recorded(session, model, scope, key, request_hash)  # the winner's
    if stored is not None:
        return answer(*stored) if answer else stored[1]
    result = work()
    settle(session, model, scope, key, status, keep(result) if keep else as_json(result))
    return result


def idempotent(model, scope: str, payload: Any, work: Callable[[], T], *,
               per_caller: bool = False, reload: Callable[[int], Any] | None = None) -> Any:
    """A view's write, once per ``Idempotency-Key`` header (:func:`run_once` takes a key
    from anywhere, e.g. a body field).

    Without a key ``work()`` simply runs. ``per_caller`` keeps one caller's keys apart
    from another's. By default the record keeps the response body and a replay answers
    it with 201 (every such view creates); with ``reload`` it keeps the result's ``id``
    and a replay returns ``reload(id)`` (the resource as it is now). Raises ValidationFailed (422)
    for an over-long key, Conflict (409) for a key reused with another payload.
    """
    from flask import jsonify, request

    from shared.auth import current_principal
    from shared.db import db_session

    key = request.headers.get(HEADER)
    if not key:
        return work()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency key too long",
                               {"idempotency_key": [f"at most {MAX_KEY_LENGTH} characters"]})
    if per_caller:
        scope = f"{scope}:{current_principal().sub}"[:80]

    def stored_response(code: int, body: Any):
        response = jsonify(body)
        response.status_code = code
        return response

    if reload is None:
        return run_once(db_session(), model, scope, key, payload, work,
                        answer=stored_response)
    return run_once(db_session(), model, scope, key, payload, work,
                    keep=lambda made: {"id": _id_of(made)},
                    answer=lambda _code, body: reload(body["id"]))


def as_json(value: Any) -> Any:
    """``value`` as plain JSON (dates and datetimes as ISO 8601 text)."""
    return json.loads(json.dumps(value, default=_iso))


def _iso(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _id_of(made: Any) -> int:
    return made["id"] if isinstance(made, dict) else made.id


_STATEMENTS: dict[type, tuple] = {}


def _statements(model) -> tuple:
    """The prepared lookup and settle statements of a model (built once)."""
    statements = _STATEMENTS.get(model)
    if statements is None:
        table = model.__table__
        where = (table.c.scope == bindparam("b_scope"), table.c.key == bindparam("b_key"))
        statements = _STATEMENTS[model] = (
            select(table.c.request_hash, table.c.status_code, table.c.response).where(*where),
            update(table).where(*where).values(status_code=bindparam("b_status"),
                                               response=bindparam("b_response")))
    return statements
