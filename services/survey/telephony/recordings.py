"""Recording retention: past a campaign's ``recording_retention_days`` a recording's
URL is removed, and so is the reference in the voice answer (which keeps its duration
and RecordingSid, so the answer still counts as given)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.survey.models.interviews import Answer
from services.survey.models.telephony import CallAttempt, Campaign, Recording
from shared.db import utcnow


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Purge every expired recording; return how many were purged."""
    now = now or utcnow()
    rows = session.execute(
        select(Recording, Campaign.recording_retention_days)
        .join(CallAttempt, CallAttempt.id == Recording.attempt_id)
        .join(Campaign, Campaign.id == CallAttempt.campaign_id)
        .where(Recording.purged_at.is_(None))).all()
    purged = 0
    for recording, days in rows:
        created = recording.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=now.tzinfo)
        if created + timedelta(days=days) > now:
            continue
        url, recording.url = recording.url, None
        recording.purged_at = now
        answer = session.scalar(select(Answer).where(
            Answer.interview_id == recording.interview_id,
            Answer.question_id == recording.question_id))
        if (answer is not None and isinstance(answer.value, dict) and url
                and answer.value.get("recording_url") == url):
            answer.value = {"recording_sid": recording.recording_sid,
                            "duration": answer.value.get("duration"),
                            "purged_at": now.isoformat()}
        purged += 1
    session.flush()
    return purged
