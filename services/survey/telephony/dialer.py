"""The dialer worker: claims due cases, places calls with the twilio REST client,
recovers from crashes.

Claiming: one transaction selects due contacts (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so that several workers never take the same row) and flips each from
``pending`` to ``dialing`` with a conditional UPDATE (on SQLite, where writes are
serialised, that UPDATE alone is the lease), and inserts a ``CallAttempt`` in state
``placing``. Only after that commit is a call placed; ``placed_at`` is stamped just
before the REST request, and the next attempt's delay counts from it.

Crash recovery (every tick): an attempt still ``placing`` after the lease
(``DIALER_LEASE_SECONDS``) whose call never reached a webhook is marked ``lost`` and its
case is due again (the lost attempt does not count); an attempt in flight for longer
than ``DIALER_STALE_SECONDS`` is looked up over the REST API and finished from the
call's final status. Webhooks carry the attempt id, so a call placed just before a
crash is still matched when its callbacks arrive.

Maintenance: at most once an hour a pass also deletes the webhook idempotency records
of ended calls past their retention (``retention.purge_webhook_records``).

Pacing: a campaign's ``cps`` holds across all workers. Before each call a worker
reserves the campaign's next send slot in the database (``slots.reserve_slot``, one
short transaction), then sleeps until it. Campaign settings are read again on every
pass, so an edited ``cps`` or ``max_concurrent`` applies from the next pass.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, lazyload, sessionmaker

from services.survey.models.interview import Interview
from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact
from services.survey.polls import in_field, quota_status
from services.survey.telephony.campaigns import IN_FLIGHT, is_do_not_call
from services.survey.telephony.cases import (
    FINAL_CALL_STATUSES,
    close_case,
    finish_attempt,
)
from services.survey.telephony.dispositions import COMPLETE, NOT_ATTEMPTED, REFUSAL
from services.survey.telephony.pacing import free_lines
from services.survey.telephony.retention import purge_webhook_records
from services.survey.telephony.settings import webhook_url
from services.survey.telephony.slots import reserve_slot
from services.survey.telephony.vault import PhoneVault
from services.survey.telephony.windows import CallingWindows
from shared.db import is_postgres, session_scope, utcnow

log = logging.getLogger("kaoping.dialer")
QUOTA_FILLED = "4.80"


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Dialer:
    def __init__(self, sessions: sessionmaker[Session], config: dict[str, str], vault: PhoneVault,
                 *, client=None, worker: str | None = None,
                 clock: Callable[[], datetime] = utcnow, lease_seconds: float = 120.0,
                 stale_seconds: float = 3600.0, batch: int = 20,
                 pace_clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 purge_every: float | None = 3600.0):
        from services.survey.telephony.settings import rest_client

        self.sessions = sessions
        self.config = config
        self.vault = vault
        self.client = client or rest_client(config)
        self.worker = worker or default_worker_id()
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.stale = timedelta(seconds=stale_seconds)
        self.batch = batch
        # Send slots are in epoch seconds on the database's clock unless a clock is given.
        self.pace_clock = pace_clock
        self.sleep = sleep
        self.purge_every = purge_every  # seconds between webhook record purges; None: never
        self._purged_at: float | None = None

    # --- one pass -------------------------------------------------------------------
    def tick(self) -> int:
        """Recover, then claim and place what is due; return the number of calls placed."""
        self.recover()
        self.maintain()
        placed = 0
        with session_scope(self.sessions) as session:
            campaigns = [c.id for c in session.scalars(
                select(Campaign).where(Campaign.state == "running").order_by(Campaign.id))]
        for campaign_id in campaigns:
            claimed = self.claim(campaign_id)
            for attempt_id in claimed:
                placed += self.place(attempt_id)
            self.maybe_finish(campaign_id)
        return placed

    def maintain(self) -> int | None:
        """Purge old webhook records if the last purge is an hour (``purge_every``) ago;
        return how many were deleted, or None when it was not time yet."""
        started = time.monotonic()
        if self.purge_every is None or (
                self._purged_at is not None and started - self._purged_at < self.purge_every):
            return None
        self._purged_at = started
        try:
            with session_scope(self.sessions) as session:
                deleted = purge_webhook_records(session, self.clock())
        except Exception:
            log.exception("webhook record purge failed")
            return None
        if deleted:
            log.info("deleted %s webhook records past retention", deleted)
        return deleted

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        log.info("dialer %s started", self.worker)
        while not stop.is_set():
            try:
                placed = self.tick()
            except Exception:
                log.exception("dialer tick failed")
                placed = 0
            if not placed:
                stop.wait(interval)
        log.info("dialer %s stopped", self.worker)

    # --- claiming -------------------------------------------------------------------
    def claim(self, campaign_id: int) -> list[int]:
        """Claim due cases of a running campaign within its window, its poll's field
        period, its free lines and its townships' quotas."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None or campaign.state != "running":
                return []
            windows = CallingWindows.from_config(campaign.windows, campaign.weekdays,
                                                 campaign.zone)
            if not windows.is_open(now) or not in_field(
                    campaign.poll, now.astimezone(ZoneInfo(campaign.zone)).date()):
                return []
            in_flight = session.scalar(select(func.count(CallAttempt.id)).where(
                CallAttempt.campaign_id == campaign.id, CallAttempt.state.in_(IN_FLIGHT)))
            # Claim no more than can be placed well within the lease at this CPS, so that
            # no claimed call is still waiting for its slot when recovery declares it lost.
            # The CPS is shared by every worker, so calls that other workers claimed and
            # have not placed yet wait for slots too.
            waiting = session.scalar(select(func.count(CallAttempt.id)).where(
                CallAttempt.campaign_id == campaign.id, CallAttempt.state == "placing",
                CallAttempt.placed_at.is_(None)))
            placeable = max(1, int(campaign.cps * self.lease.total_seconds() / 2)) - waiting
            room = min(free_lines(campaign.max_concurrent, in_flight), self.batch, placeable)
            if room <= 0:
                return []
            filled, quota_room = self._quota_room(session, campaign)
            if filled:
                self._close_filled(session, campaign, filled)
            blocked = filled | {t for t, left in quota_room.items() if left <= 0}
            query = (select(PhoneContact)
                     .where(PhoneContact.campaign_id == campaign.id,
                            PhoneContact.state == "pending",
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
                if self._screen(session, contact):
                    continue
                if quota_room.get(contact.township, 1) <= 0:
                    continue
                took = session.execute(
                    update(PhoneContact)
                    .where(PhoneContact.id == contact.id, PhoneContact.state == "pending")
                    .values(state="dialing", lease_owner=self.worker,
                            lease_until=now + self.lease,
                            attempts=PhoneContact.attempts + 1)
                    .execution_options(synchronize_session=False)).rowcount
                if not took:
                    continue
                if contact.township in quota_room:
                    quota_room[contact.township] -= 1
                number = 1 + session.scalar(select(func.count(CallAttempt.id)).where(
                    CallAttempt.contact_id == contact.id))
                attempt = CallAttempt(campaign_id=campaign.id, contact_id=contact.id,
                                      attempt_number=number, worker=self.worker,
                                      queued_at=now, state="placing")
                session.add(attempt)
                session.flush()
                claimed.append(attempt.id)
            return claimed

    def _quota_room(self, session: Session, campaign: Campaign
                    ) -> tuple[set[str], dict[str, int]]:
        """Townships whose quota is filled, and how many more calls each township with a
        target may have in flight: target − completes − calls in flight. A call waits
        while that is 0, so the calls running can never push completes past the target."""
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

    def _close_filled(self, session: Session, campaign: Campaign, filled: set[str]) -> None:
        """No more calls in townships whose quota is met: unattempted cases are coded
        4.80 (quota filled), attempted ones keep their disposition."""
        for contact in session.scalars(select(PhoneContact).where(
                PhoneContact.campaign_id == campaign.id, PhoneContact.state == "pending",
                PhoneContact.township.in_(filled))):
            interview = session.get(Interview, contact.interview_id)
            close_case(contact, interview, QUOTA_FILLED if contact.attempts == 0
                       else interview.disposition)

    def _screen(self, session: Session, contact: PhoneContact) -> bool:
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

    # --- placing --------------------------------------------------------------------
    def reserve(self, campaign_id: int, cps: float) -> tuple[float, float]:
        """Reserve the campaign's next send slot, shared with every other worker; return
        ``(slot, now)`` in epoch seconds (one short transaction)."""
        now = self.pace_clock() if self.pace_clock is not None else None
        with session_scope(self.sessions) as session:
            return reserve_slot(session, campaign_id, cps, now)

    def webhook(self, step: str, **params) -> str:
        return webhook_url(self.config["PUBLIC_BASE_URL"], step, **params)

    def place(self, attempt_id: int) -> int:
        """Place one claimed call; return 1 when the carrier accepted it."""
        with session_scope(self.sessions) as session:
            attempt = session.get(CallAttempt, attempt_id)
            campaign = attempt.contact.campaign
            number = self.vault.decrypt(attempt.contact.number_encrypted)
            campaign_id, cps = campaign.id, campaign.cps
            settings = (campaign.from_number, campaign.machine_detection, campaign.record_calls)
        slot, now = self.reserve(campaign_id, cps)
        if slot > now:
            self.sleep(slot - now)
        with session_scope(self.sessions) as session:
            stamped = session.execute(
                update(CallAttempt)
                .where(CallAttempt.id == attempt_id, CallAttempt.state == "placing")
                .values(placed_at=self.clock())
                .execution_options(synchronize_session=False)).rowcount
        if not stamped:
            return 0  # recovered as lost meanwhile: its case is due again elsewhere
        from_number, detection, record = settings
        options = {"to": number, "from_": from_number,
                   "url": self.webhook("answer", attempt=attempt_id), "method": "POST",
                   "status_callback": self.webhook("status", attempt=attempt_id),
                   "status_callback_method": "POST",
                   "status_callback_event": ["initiated", "ringing", "answered", "completed"],
                   "timeout": 30}
        if detection:
            options["machine_detection"] = "Enable"
        if record:
            options["record"] = True
        try:
            call = self.client.api.v2010.account.calls.create(**options)
        except Exception as exc:  # TwilioRestException or a network error
            self._not_placed(attempt_id, exc)
            return 0
        with session_scope(self.sessions) as session:
            session.execute(update(CallAttempt)
                            .where(CallAttempt.id == attempt_id, CallAttempt.call_sid.is_(None))
                            .values(call_sid=call.sid))
            session.execute(update(CallAttempt)
                            .where(CallAttempt.id == attempt_id, CallAttempt.state == "placing")
                            .values(state="placed"))
        return 1

    def _not_placed(self, attempt_id: int, exc: Exception) -> None:
        status = getattr(exc, "status", None)
        with session_scope(self.sessions) as session:
            attempt = session.get(CallAttempt, attempt_id)
            attempt.error = f"{exc.__class__.__name__}: {getattr(exc, 'msg', exc)}"[:300]
            if status is not None and 400 <= status < 500:
                # The carrier refused the number itself (e.g. 21211): not a working number.
                finish_attempt(session, attempt, call_status="failed", answered_by=None,
                               duration=0, now=self.clock())
            else:
                self._lose(session, attempt, retry_in=60)
        log.warning("call for attempt %s not placed: %s", attempt_id, exc)

    # --- recovery -------------------------------------------------------------------
    def _lose(self, session: Session, attempt: CallAttempt, retry_in: float = 0) -> None:
        contact = attempt.contact
        attempt.state = "lost"
        contact.state = "pending"
        contact.attempts = max(0, contact.attempts - 1)
        contact.lease_owner = contact.lease_until = None
        contact.next_attempt_at = self.clock() + timedelta(seconds=retry_in)

    def recover(self) -> None:
        now = self.clock()
        with session_scope(self.sessions) as session:
            stuck = session.scalars(select(CallAttempt).where(
                CallAttempt.state == "placing", CallAttempt.call_sid.is_(None),
                or_(CallAttempt.placed_at < now - self.lease,
                    (CallAttempt.placed_at.is_(None)) & (CallAttempt.queued_at < now - self.lease))
            )).all()
            for attempt in stuck:
                log.warning("attempt %s was never placed (worker %s); due again",
                            attempt.id, attempt.worker)
                self._lose(session, attempt)
            stale = session.scalars(select(CallAttempt).where(
                CallAttempt.state.in_(IN_FLIGHT), CallAttempt.call_sid.is_not(None),
                CallAttempt.placed_at < now - self.stale)).all()
            for attempt in stale:
                self._reconcile(session, attempt, now)

    def _reconcile(self, session: Session, attempt: CallAttempt, now: datetime) -> None:
        try:
            call = self.client.api.v2010.account.calls(attempt.call_sid).fetch()
        except Exception as exc:
            log.warning("cannot look up call %s: %s", attempt.call_sid, exc)
            return
        if call.status in FINAL_CALL_STATUSES:
            finish_attempt(session, attempt, call_status=call.status,
                           answered_by=call.answered_by,
                           duration=int(call.duration or 0), now=now)

    def maybe_finish(self, campaign_id: int) -> None:
        """A running campaign with no case left to call and no call in flight is finished."""
        with session_scope(self.sessions) as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign.state != "running":
                return
            open_cases = session.scalar(select(func.count(PhoneContact.id)).where(
                PhoneContact.campaign_id == campaign_id, PhoneContact.state != "done"))
            if open_cases == 0:
                campaign.state = "finished"
                campaign.finished_at = self.clock()


def run_forever(dialer: Dialer, interval: float = 0.5) -> None:
    """Run until SIGTERM/SIGINT (used by ``kaoping dialer``)."""
    import signal

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    dialer.run(stop, interval)
