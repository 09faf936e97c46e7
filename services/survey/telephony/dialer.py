"""The dialer worker: claims due cases, places calls with the twilio REST client,
recovers from crashes.

Claiming (``claims.claim_due``): one transaction flips due cases from ``pending`` to
``dialing`` and adds a ``CallAttempt`` in state ``placing`` for each. Only after that
commit is a call placed; ``placed_at`` is stamped (if the claim still holds) just before
the REST request, and the next attempt's delay counts from it.

Crash recovery (every tick): a claim not yet placed by a worker whose process is gone
(``presence``: its lock was released) is given back at once; an attempt still
``placing`` after the lease (``DIALER_LEASE_SECONDS``) whose call never reached a
webhook is marked ``lost`` and its case is due again (the lost attempt does not count);
an attempt in flight for longer than ``DIALER_STALE_SECONDS`` is looked up over the
REST API and finished from the call's final status. Webhooks carry the attempt id, so a
call placed just before a crash is still matched when its callbacks arrive. A claim is
given back with conditional UPDATEs, so that the claimer stamping it at the same moment
either places it or finds it gone, never both.

Isolation: each campaign's claims, each case within a claim (a SAVEPOINT), each call
placed and each attempt recovered are handled on their own; a failure is logged, a
claim not placed is given back at once (due again in a minute), and the rest of the
pass goes on.

Maintenance: at most once an hour a pass also deletes the webhook idempotency records
of ended calls past their retention (``retention.purge_webhook_records``).

Pacing: a campaign's ``cps`` holds across all workers. Before each call a worker
reserves the campaign's next send slot in the database (``slots.reserve_slot``, one
short transaction), then sleeps until it. Campaign settings are read again on every
pass, so an edited ``cps`` or ``max_concurrent`` applies from the next pass.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact
from services.survey.telephony.campaigns import IN_FLIGHT
from services.survey.telephony.cases import FINAL_CALL_STATUSES, finish_attempt
from services.survey.telephony.claims import claim_due, give_back, unplaced_claims
from services.survey.telephony.dialer_metrics import CALLS_PLACED, CLAIMS
from services.survey.telephony.presence import Presence, presence_for
from services.survey.telephony.retention import purge_webhook_records
from services.survey.telephony.slots import reserve_slot
from services.survey.telephony.twilio_api import rest_client, webhook_url
from services.survey.telephony.vault import PhoneVault
from shared.db import session_scope, utcnow
from shared.errors import Conflict
from shared.stopping import stop_on_signals

log = logging.getLogger("kaoping.dialer")


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Dialer:
    def __init__(self, sessions: sessionmaker[Session], config: dict[str, str], vault: PhoneVault,
                 *, client=None, worker: str | None = None,
                 clock: Callable[[], datetime] = utcnow, lease_seconds: float = 120.0,
                 stale_seconds: float = 3600.0, batch: int = 20,
                 pace_clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None,
                 purge_every: float | None = 3600.0, retention_days: int = 30,
                 presence: Presence | None = None):
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
        # Waits for a send slot; by default on ``stop``, so that a dialer told to stop
        # does not sit out its slot (it gives the claim back instead).
        self.stop = threading.Event()
        self.sleep = sleep or self.stop.wait
        self.purge_every = purge_every  # seconds between webhook record purges; None: never
        self.retention_days = retention_days  # of the webhook records of ended calls
        self._purged_at: float | None = None
        self.presence = presence or presence_for(sessions.kw["bind"], self.worker)

    # --- one pass -------------------------------------------------------------------
    def tick(self) -> int:
        """Recover, then claim and place what is due; return the number of calls placed.
        A campaign's failure is logged and the other campaigns go on."""
        self.recover()
        self.maintain()
        placed = 0
        for campaign_id in self.running_campaigns():
            for attempt_id in self._guarded("claiming for campaign", campaign_id, self.claim) or ():
                placed += self.place(attempt_id)
            self._guarded("finishing campaign", campaign_id, self.maybe_finish)
        return placed

    def running_campaigns(self) -> list[int]:
        with session_scope(self.sessions) as session:
            return list(session.scalars(select(Campaign.id).where(Campaign.state == "running")
                                        .order_by(Campaign.id)))

    @staticmethod
    def _guarded(what: str, key: object, work: Callable[..., object], *args):
        """``work(key, *args)`` (a campaign's or an attempt's step), or None after logging
        its failure: one failure never stops the rest of the pass."""
        try:
            return work(key, *args)
        except Exception:
            log.exception("%s %s failed; the pass goes on", what, key)
            return None

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
                deleted = purge_webhook_records(session, self.clock(), self.retention_days)
        except Exception:
            log.exception("webhook record purge failed")
            return None
        if deleted:
            log.info("deleted %s webhook records past retention", deleted)
        return deleted

    def run(self, interval: float = 0.5) -> None:
        """Pass after pass until ``stop`` is set, present all along (see ``present``)."""
        with self.present():
            while not self.stop.is_set():
                try:
                    self.presence.keep()
                    placed = self.tick()
                except Exception:
                    log.exception("dialer tick failed")
                    placed = 0
                if not placed:
                    self.stop.wait(interval)

    @contextlib.contextmanager
    def present(self) -> Iterator[Dialer]:
        """Hold this worker's presence lock while the block runs (Conflict when a running
        dialer holds the same worker id), having given back the claims that an earlier
        process with this worker id left unplaced (this one has claimed nothing yet)."""
        self._hold_presence()
        log.info("dialer %s started", self.worker)
        try:
            self._guarded("giving back the unplaced claims of worker", self.worker,
                          self._give_back_claims_of)
            yield self
        finally:
            self.presence.release()
            log.info("dialer %s stopped", self.worker)

    def _hold_presence(self, patience: float = 15.0) -> None:
        """Take the presence lock, waiting up to ``patience`` seconds for a process with the
        same worker id that was just killed to let go of it (PostgreSQL notices a closed
        connection a moment later); Conflict after that."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self.presence.hold()
                return
            except Conflict:
                if time.monotonic() > deadline or self.stop.wait(0.5):
                    raise
            except Exception:  # the database is down: ``keep`` takes the lock once it is back
                log.exception("dialer %s cannot take its presence lock yet", self.worker)
                return

    def _give_back_claims_of(self, worker: str) -> None:
        with session_scope(self.sessions) as session:
            claims = session.scalars(unplaced_claims().where(CallAttempt.worker == worker)).all()
        for attempt_id in claims:
            self._guarded("giving back attempt", attempt_id, self._give_back, True)

    # --- claiming -------------------------------------------------------------------
    def claim(self, campaign_id: int) -> list[int]:
        """Claim due cases of a running campaign (``claims.claim_due``, one transaction)."""
        with session_scope(self.sessions) as session:
            claimed = claim_due(session, campaign_id, worker=self.worker, now=self.clock(),
                                lease=self.lease, batch=self.batch)
        CLAIMS.labels(str(campaign_id)).inc(len(claimed))
        return claimed

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
        """Place one claimed call; return 1 when the carrier accepted it.

        A failure before the carrier has the call (database, send slot, decryption) gives
        the claim back at once, due again in a minute; a failure in recording a call the
        carrier accepted is only logged, as its webhooks carry the attempt id and record
        its CallSid."""
        try:
            stamped = self._stamp(attempt_id)
        except Exception as exc:
            log.exception("call for attempt %s not placed; its case is due again", attempt_id)
            self._guarded("giving back attempt", attempt_id, self._give_back, False, 60,
                          _error(exc))
            return 0
        if stamped is None:
            return 0  # recovered as lost meanwhile: its case is due again elsewhere
        campaign_id, options = stamped
        try:
            call = self.client.api.v2010.account.calls.create(**options)
        except Exception as exc:  # TwilioRestException or a network error
            self._guarded("recording the refusal of attempt", attempt_id, self._not_placed, exc)
            return 0
        try:
            with session_scope(self.sessions) as session:
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id,
                                                          CallAttempt.call_sid.is_(None))
                                .values(call_sid=call.sid))
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id,
                                                          CallAttempt.state == "placing")
                                .values(state="placed"))
        except Exception:
            log.exception("call %s of attempt %s placed but not recorded; its webhooks "
                          "will record it", call.sid, attempt_id)
        CALLS_PLACED.labels(str(campaign_id)).inc()
        return 1

    def _stamp(self, attempt_id: int) -> tuple[int, dict] | None:
        """Wait for a send slot, stamp ``placed_at`` if the claim still holds, and return
        the campaign id and the REST request's options; None when recovery gave the claim
        back meanwhile, or when the dialer is stopping (then it gives the claim back
        itself)."""
        if self.stop.is_set():
            self._give_back(attempt_id, True)
            return None
        with session_scope(self.sessions) as session:
            attempt = session.get(CallAttempt, attempt_id)
            campaign = attempt.contact.campaign
            number = self.vault.decrypt(attempt.contact.number_encrypted)
            campaign_id, cps = campaign.id, campaign.cps
            settings = (campaign.from_number, campaign.machine_detection, campaign.record_calls)
        slot, now = self.reserve(campaign_id, cps)
        if slot > now:
            self.sleep(slot - now)
        if self.stop.is_set():
            self._give_back(attempt_id, True)
            return None
        with session_scope(self.sessions) as session:
            stamped = session.execute(
                update(CallAttempt)
                .where(CallAttempt.id == attempt_id, CallAttempt.state == "placing")
                .values(placed_at=self.clock())
                .execution_options(synchronize_session=False)).rowcount
        if not stamped:
            return None
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
        return campaign_id, options

    def _not_placed(self, attempt_id: int, exc: Exception) -> None:
        status = getattr(exc, "status", None)
        log.warning("call for attempt %s not placed: %s", attempt_id, exc)
        if status is None or not 400 <= status < 500:
            self._give_back(attempt_id, False, 60, _error(exc))
            return
        with session_scope(self.sessions) as session:
            # The carrier refused the number itself (e.g. 21211): not a working number.
            attempt = session.get(CallAttempt, attempt_id)
            attempt.error = _error(exc)
            finish_attempt(session, attempt, call_status="failed", answered_by=None,
                           duration=0, now=self.clock())

    # --- recovery -------------------------------------------------------------------
    def _give_back(self, attempt_id: int, unplaced: bool, retry_in: float = 0,
                   error: str | None = None) -> bool:
        """``claims.give_back`` in a transaction of its own; the case is due again in
        ``retry_in`` seconds."""
        with session_scope(self.sessions) as session:
            return give_back(session, attempt_id, unplaced=unplaced, error=error,
                             due_at=self.clock() + timedelta(seconds=retry_in))

    def recover(self) -> None:
        """Give back the unplaced claims of workers that are gone, and claims past the
        lease; finish calls in flight past ``stale`` from the carrier's record. Each
        attempt on its own: a failure is logged and the others go on."""
        now = self.clock()
        with session_scope(self.sessions) as session:
            orphans = session.execute(unplaced_claims().add_columns(CallAttempt.worker).where(
                CallAttempt.worker != self.worker)).all()
            stuck = session.scalars(select(CallAttempt.id).where(
                CallAttempt.state == "placing", CallAttempt.call_sid.is_(None),
                or_(CallAttempt.placed_at < now - self.lease,
                    (CallAttempt.placed_at.is_(None)) & (CallAttempt.queued_at < now - self.lease))
            )).all()
            stale = session.scalars(select(CallAttempt.id).where(
                CallAttempt.state.in_(IN_FLIGHT), CallAttempt.call_sid.is_not(None),
                CallAttempt.placed_at < now - self.stale)).all()
        alive = self.presence.alive({worker for _id, worker in orphans}) if orphans else set()
        for attempt_id, worker in orphans:
            if worker not in alive and self._guarded("giving back attempt", attempt_id,
                                                     self._give_back, True):
                log.warning("attempt %s was claimed by %s, which is gone; due again",
                            attempt_id, worker)
        for attempt_id in stuck:
            if self._guarded("giving back attempt", attempt_id, self._give_back, False):
                log.warning("attempt %s was never placed within the lease; due again",
                            attempt_id)
        for attempt_id in stale:
            self._guarded("reconciling attempt", attempt_id, self._reconcile, now)

    def _reconcile(self, attempt_id: int, now: datetime) -> None:
        with session_scope(self.sessions) as session:
            attempt = session.get(CallAttempt, attempt_id)
            if attempt.state not in IN_FLIGHT:
                return
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


def _error(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {getattr(exc, 'msg', exc)}"[:300]


def run_forever(dialer: Dialer, interval: float = 0.5) -> None:
    """Run until SIGTERM/SIGINT (used by ``kaoping dialer``)."""
    stop_on_signals(dialer.stop)
    dialer.run(interval)
