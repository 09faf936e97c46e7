"""Append-only audit log, hash-chained: entry n stores SHA-256(hash of n-1 ‖ content of n).

Changing, removing or inserting a row breaks the chain at that row; ``verify_chain``
walks it in order and names the first entry whose link does not hold.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from services.inspection.models.audit import AuditEntry
from shared.auth import Principal
from shared.db import utcnow

GENESIS = "0" * 64
# Any constant; PostgreSQL serialises appenders on this advisory lock.
_CHAIN_LOCK = 7_236_001


# Statements built once (only their parameters change per entry).
_CHAIN_HEAD = select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
_APPEND = insert(AuditEntry.__table__)
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
# SQLite has no advisory locks: a write that changes nothing takes the database's write
# lock (waiting up to its busy timeout), so the chain head read next is the latest one.
_LOCK_SQLITE = text("UPDATE audit_log SET seq = seq WHERE 0 = 1")


def _instant(value: datetime) -> str:
    """UTC ISO text of a timestamp; SQLite hands back naive UTC, PostgreSQL aware."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, role: str, action: str,
               subject_type: str, subject_id: str, details: Any) -> str:
    """SHA-256 (hex) of ``prev_hash`` followed by the canonical JSON of the entry."""
    content = json.dumps([seq, _instant(at), actor, role, action, subject_type, subject_id,
                          details], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def record(session: Session, principal: Principal, action: str, subject_type: str,
           subject_id: Any, details: dict[str, Any] | None = None) -> str:
    """Append one entry by ``principal`` (its sub and role) in the caller's transaction
    (never commits); return its hash.

    Appenders are serialised until their commit (PostgreSQL: a transaction-level
    advisory lock; SQLite: the database write lock), so two requests never read the
    same chain head and collide on ``seq``, whether they write anything else or not.
    """
    session.flush()  # the caller's own writes go out before the chain lock is taken
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"key": _CHAIN_LOCK})
    else:
        session.execute(_LOCK_SQLITE)
    last = session.execute(_CHAIN_HEAD).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    actor, role = principal.sub, principal.role
    row = {"seq": seq, "at": utcnow(), "actor": actor, "role": role, "action": action,
           "subject_type": subject_type, "subject_id": str(subject_id),
           "details": json.loads(json.dumps(details or {}, default=str)), "prev_hash": prev}
    row["hash"] = entry_hash(prev, seq, row["at"], actor, role, action, subject_type,
                             row["subject_id"], row["details"])
    session.execute(_APPEND, row)
    return row["hash"]


def list_entries(session: Session, *, after_seq: int, limit: int, action: str | None = None,
                 subject_type: str | None = None,
                 subject_id: str | None = None) -> list[AuditEntry]:
    """At most ``limit`` entries after ``after_seq``, in order, optionally of one action
    and subject."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    for column, value in ((AuditEntry.action, action), (AuditEntry.subject_type, subject_type),
                          (AuditEntry.subject_id, subject_id)):
        if value:
            query = query.where(column == value)
    return list(session.scalars(query.order_by(AuditEntry.seq).limit(limit)))


@dataclass
class ChainReport:
    """What ``verify_chain`` found: ok, or the first entry whose link does not hold."""

    ok: bool
    entries: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every link in ``seq`` order; report the first entry that does not hold."""
    prev, expected_seq, count = GENESIS, 1, 0
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)
                           .execution_options(yield_per=batch)).scalars()
    for entry in rows:
        count += 1
        reason = None
        if entry.seq != expected_seq:
            reason = f"sequence gap: expected {expected_seq}, found {entry.seq}"
        elif entry.prev_hash != prev:
            reason = "prev_hash does not match the hash of the entry before"
        elif entry.hash != entry_hash(prev, entry.seq, entry.at, entry.actor, entry.role,
                                      entry.action, entry.subject_type, entry.subject_id,
                                      entry.details):
            reason = "content does not match its hash (entry edited)"
        if reason:
            return ChainReport(False, count, entry.seq, entry.id, reason)
        prev, expected_seq = entry.hash, entry.seq + 1
    return ChainReport(True, count)
