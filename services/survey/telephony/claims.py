"""Claims: which due cases a dialer worker takes, and giving a claim back.

One transaction selects due cases (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so that
several workers never take the same row) and flips each from ``pending`` to ``dialing``
with a conditional UPDATE (on SQLite, where writes are serialised, that UPDATE alone is
the lease), adding a ``CallAttempt`` in state ``placing``. Each case is claimed within a
SAVEPOINT: a database error on one case is logged and the others are claimed.

A claim is given back with conditional UPDATEs (``placing`` and no CallSid), so that the
worker stamping the same claim at that moment either places it or finds it gone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, lazyload

from services.survey.models.interviews import Interview
from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact
from services.survey.polls import in_field, quota_status
from services.survey.telephony.call_outcomes import COMPLETE, NOT_ATTEMPTED, REFUSAL
from services.survey.telephony.campaigns import IN_FLIGHT
from services.survey.telephony.cases import close_case
from services.survey.telephony.do_not_call import is_do_not_call
from services.survey.telephony.windows import CallingWindows
from shared.db import is_postgres

log = logging.getLogger("kaoping.dialer")
QUOTA_FILLED = "4.80"


def claim_due(session: Session, campaign_id: int, *, worker: str, now: datetime,
              lease: timedelta, batch: int) -> list[int]:
    """Claim due cases of a running campaign within its window, its poll's field period,
    its free lines and its townships' quotas; return the new attempts' ids."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.state != "running":
        return []
    windows = CallingWindows.from_config(campaign.windows, campaign.weekdays, campaign.zone)
    if not windows.is_open(now) or not in_field(
            campaign.poll, now.astimezone(ZoneInfo(campaign.zone)).date()):
        return []
    in_flight = session.scalar(select(func.count(CallAttempt.id)).where(
        CallAttempt.campaign_id == campaign.id, CallAttempt.state.in_(IN_FLIGHT)))
    # Claim no more than can be placed well within the lease at this CPS, so that no
    # claimed call is still waiting for its slot when recovery declares it lost. The CPS
    # is shared by every worker, so calls that other workers claimed and have not placed
    # yet wait for slots too.
    waiting = session.scalar(select(func.count(CallAttempt.id)).where(
        CallAttempt.campaign_id == campaign.id, CallAttempt.state == "placing",
        CallAttempt.placed_at.is_(None)))
    placeable = max(1, int(campaign.cps * lease.total_seconds() / 2)) - waiting
    room = min(max(0, campaign.max_concurrent - in_flight), batch, placeable)
    if room <= 0:
        return []
    filled, quota_room = _quota_room(session, campaign)
    if filled:
        _close_filled(session, campaign, filled)
    blocked = filled | {t for t, left in quota_room.items() if left <= 0}
    query = (select(PhoneContact)
             .where(PhoneContact.campaign_id == campaign.id, PhoneContact.state == "pending",
                    PhoneContact.township.not_in(blocked),
                    or_(PhoneContact.next_attempt_at.is_(None),
                        PhoneContact.next_attempt_at <= now))
             .order_by(PhoneContact.next_attempt_at.is_not(None),
                       PhoneContact.next_attempt_at, PhoneContact.id)
             .options(lazyload("*"))
             .limit(room * 2))
    if is_postgres(session.get_bind()):
        query = query.with_for_update(skip_locked=True, of=PhoneContact)
    claimed: list[int] = []
    for contact in session.scalars(query).unique().all():
        if len(claimed) >= room:
            break
        if quota_room.get(contact.township, 1) <= 0:
            continue
        try:
            with session.begin_nested():
                attempt_id = _claim_one(session, campaign.id, contact, worker, now + lease,
                                        now)
        except SQLAlchemyError:
            log.exception("claiming case %s failed; the others go on", contact.id)
            continue
        if attempt_id is None:
            continue
        if contact.township in quota_room:
            quota_room[contact.township] -= 1
        claimed.append(attempt_id)
    return claimed


def _claim_one(session: Session, campaign_id: int, contact: PhoneContact, worker: str,
               lease_until: datetime, now: datetime) -> int | None:
    """Flip one case to ``dialing`` and add its attempt; None when it is not to be called
    (do-not-call) or another worker took it first."""
    if _screen(session, contact):
        return None
    took = session.execute(
        update(PhoneContact)
        .where(PhoneContact.id == contact.id, PhoneContact.state == "pending")
        .values(state="dialing", lease_owner=worker, lease_until=lease_until,
                attempts=PhoneContact.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not took:
        return None
    number = 1 + session.scalar(select(func.count(CallAttempt.id)).where(
        CallAttempt.contact_id == contact.id))
    attempt = CallAttempt(campaign_id=campaign_id, contact_id=contact.id,
                          attempt_number=number, worker=worker, queued_at=now,
                          state="placing")
    session.add(attempt)
    session.flush()
    return attempt.id


def _quota_room(session: Session, campaign: Campaign) -> tuple[set[str], dict[str, int]]:
    """Townships whose quota is filled, and how many more calls each township with a
    target may have in flight: target − completes − calls in flight. A call waits while
    that is 0, so the calls running can never push completes past the target."""
    if not campaign.poll.stop_at_quota:
        return set(), {}
    flying = dict(session.execute(
        select(PhoneContact.township, func.count(CallAttempt.id))
        .join(CallAttempt, CallAttempt.contact_id == PhoneContact.id)
        .where(CallAttempt.campaign_id == campaign.id, CallAttempt.state.in_(IN_FLIGHT))
        .group_by(PhoneContact.township)).all())
    rows = quota_status(session, campaign.poll)
    return ({row["township"] for row in rows if row["filled"]},
            {row["township"]: row["target_completes"] - row["completes"]
             - flying.get(row["township"], 0)
             for row in rows if row["target_completes"] > 0})


def _close_filled(session: Session, campaign: Campaign, filled: set[str]) -> None:
    """No more calls in townships whose quota is met: unattempted cases are coded 4.80
    (quota filled), attempted ones keep their disposition."""
    for contact in session.scalars(select(PhoneContact).where(
            PhoneContact.campaign_id == campaign.id, PhoneContact.state == "pending",
            PhoneContact.township.in_(filled))):
        interview = session.get(Interview, contact.interview_id)
        close_case(contact, interview, QUOTA_FILLED if contact.attempts == 0
                   else interview.disposition)


def _screen(session: Session, contact: PhoneContact) -> bool:
    """Close a case whose number went on the do-not-call list, or whose interview was
    completed after its last call had ended (a late copy of the call's last webhook);
    True if closed."""
    interview = session.get(Interview, contact.interview_id)
    if interview.status == "complete":
        close_case(contact, interview, COMPLETE)
        return True
    if is_do_not_call(session, contact.number_hash):
        close_case(contact, interview, REFUSAL if contact.attempts else NOT_ATTEMPTED)
        return True
    return False


def unplaced_claims() -> Select:
    """Ids of claims not placed: ``placing`` with neither a send time nor a CallSid."""
    return select(CallAttempt.id).where(
        CallAttempt.state == "placing", CallAttempt.call_sid.is_(None),
        CallAttempt.placed_at.is_(None))


def give_back(session: Session, attempt_id: int, *, unplaced: bool, due_at: datetime,
              error: str | None = None) -> bool:
    """Mark a claim ``lost`` (it does not count as an attempt) and its case due again at
    ``due_at``, if it is still ``placing`` without a CallSid (and, with ``unplaced``,
    without a send time); False when it no longer is."""
    claim = [CallAttempt.id == attempt_id, CallAttempt.state == "placing",
             CallAttempt.call_sid.is_(None)]
    if unplaced:
        claim.append(CallAttempt.placed_at.is_(None))
    contact_id = session.execute(
        update(CallAttempt).where(*claim)
        .values(state="lost", **({"error": error[:300]} if error else {}))
        .returning(CallAttempt.contact_id)
        .execution_options(synchronize_session=False)).scalar()
    if contact_id is None:
        return False
    session.execute(
        update(PhoneContact)
        .where(PhoneContact.id == contact_id, PhoneContact.state == "dialing")
        .values(state="pending", lease_owner=None, lease_until=None, next_attempt_at=due_at,
                attempts=case((PhoneContact.attempts > 0, PhoneContact.attempts - 1), else_=0))
        .execution_options(synchronize_session=False))
    return True
