"""Retention of the Twilio webhooks' idempotency records.

Every Gather, consent and Record webhook stores one ``IdempotencyRecord`` (scope
``twilio-webhook``, key ``CallSid:step:try``) holding the TwiML first sent, so that a
replay gets the same answer. Once a call is over nothing replays it for long; past
``WEBHOOK_RECORD_RETENTION_DAYS`` (default 30) its records are deleted. Records of calls
whose attempt has not ended (placing, placed, in progress) are never deleted, whatever
their age, nor records whose CallSid matches no attempt. A replay that still arrives
after the purge is harmless: the question was answered, so the webhook moves on to the
next one and stores nothing twice (answers are unique per interview and question).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.survey.models import IdempotencyRecord
from services.survey.models.telephony import CallAttempt
from services.survey.telephony.webhooks import SCOPE

ENDED = ("ended", "lost")
BATCH = 1000


def purge_webhook_records(session: Session, now: datetime, days: int) -> int:
    """Delete webhook records older than ``days`` (the retention) of calls that have
    ended; return how many were deleted. Adds to the session's transaction and does not
    commit."""
    cutoff = now.astimezone(UTC) - timedelta(days=days)
    deleted, after = 0, 0
    while True:
        rows = session.execute(
            select(IdempotencyRecord.id, IdempotencyRecord.key)
            .where(IdempotencyRecord.scope == SCOPE, IdempotencyRecord.created_at < cutoff,
                   IdempotencyRecord.id > after)
            .order_by(IdempotencyRecord.id).limit(BATCH)).all()
        if not rows:
            return deleted
        after = rows[-1].id
        sids = {key.split(":", 1)[0] for _id, key in rows}
        ended = set(session.scalars(select(CallAttempt.call_sid).where(
            CallAttempt.call_sid.in_(sids), CallAttempt.state.in_(ENDED))))
        doomed = [record_id for record_id, key in rows if key.split(":", 1)[0] in ended]
        if doomed:
            deleted += session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(doomed))
                .execution_options(synchronize_session=False)).rowcount
