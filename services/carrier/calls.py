"""The switchboard: call records, the CPS-limited dispatcher, and the calls in flight.

Each accepted call waits in a queue (status ``queued``) until the dispatcher starts it
no faster than ``cps`` calls per second; a pool of ``max_active`` threads plays the
calls concurrently with the ``play`` function it is given (the app gives it
``player.play``). State is in memory, so the carrier runs as one process (threads, not
workers).
"""

from __future__ import annotations

import collections
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from services.carrier.respondents import Profile
from services.carrier.validation import CallRequest

log = logging.getLogger("kaoping.carrier")
API_VERSION = "2010-04-01"
KEEP_CALLS = 50_000  # finished calls kept for GET; older ones are forgotten
FINISHED = ("completed", "busy", "no-answer", "failed", "canceled")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


@dataclass
class Call:
    """One call as the carrier sees it; ``resource()`` is the Twilio JSON."""

    sid: str
    account_sid: str
    request: CallRequest
    direction: str = "outbound-api"
    status: str = "queued"
    attempt: int = 1
    answered_by: str | None = None
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    hangup_requested: bool = False
    sequence: int = 0
    transcript: list = field(default_factory=list)

    def touch(self, status: str | None = None) -> None:
        if status:
            self.status = status
        self.updated = datetime.now(UTC)

    def resource(self) -> dict:
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid,
            "date_created": rfc2822(self.created), "date_updated": rfc2822(self.updated),
            "parent_call_sid": None, "to": self.request.to, "to_formatted": self.request.to,
            "from": self.request.from_, "from_formatted": self.request.from_,
            "phone_number_sid": None, "status": self.status,
            "start_time": rfc2822(self.start_time), "end_time": rfc2822(self.end_time),
            "duration": None if self.duration is None else str(self.duration),
            "price": None, "price_unit": "USD", "direction": self.direction,
            "answered_by": self.answered_by, "api_version": API_VERSION,
            "forwarded_from": None, "group_sid": None, "caller_name": None,
            "queue_time": "0", "trunk_sid": None, "uri": base + ".json",
            "subresource_uris": {"recordings": base + "/Recordings.json",
                                 "notifications": base + "/Notifications.json"},
        }


class Switchboard:
    """Accepts calls, starts them at most ``cps`` per second, plays them concurrently
    (``play(board, call)`` runs one call to its end)."""

    def __init__(self, *, accounts: dict[str, str], profile: Profile,
                 play: Callable[[Switchboard, Call], None], cps: float = 1.0,
                 max_active: int = 50, time_scale: float = 0.0, http_timeout: float = 15.0):
        self.accounts = accounts
        self.play = play
        self.profile = profile
        self.cps = cps
        self.time_scale = time_scale
        self.http_timeout = http_timeout
        self.public_url = ""
        self.calls: dict[str, Call] = {}
        self.recordings: dict[str, dict] = {}
        self.attempts: collections.Counter[str] = collections.Counter()
        self.started_at: list[float] = []
        self._queue: collections.deque[Call] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._active = 0
        self._pool = ThreadPoolExecutor(max_workers=max_active, thread_name_prefix="call")
        self._dispatcher: threading.Thread | None = None

    def token_for(self, account_sid: str) -> str | None:
        return self.accounts.get(account_sid)

    def place(self, account_sid: str, request: CallRequest, direction: str = "outbound-api"
              ) -> Call:
        """Queue a call and return its record (status ``queued``)."""
        call = Call(new_sid("CA"), account_sid, request, direction=direction)
        with self._lock:
            number = request.to if direction == "outbound-api" else request.from_
            self.attempts[number] += 1
            call.attempt = self.attempts[number]
            self.calls[call.sid] = call
            if len(self.calls) > KEEP_CALLS:
                self._forget_finished()
            self._queue.append(call)
            self._ensure_dispatcher()
            self._wake.notify()
        return call

    def _forget_finished(self) -> None:
        """Drop the oldest finished calls (and their recordings) beyond ``KEEP_CALLS``."""
        finished = [c for c in self.calls.values() if c.status in FINISHED]
        for call in finished[:len(self.calls) - KEEP_CALLS]:
            del self.calls[call.sid]
        kept = set(self.calls)
        for sid in [r for r, info in self.recordings.items() if info["call_sid"] not in kept]:
            del self.recordings[sid]

    def get(self, sid: str) -> Call | None:
        return self.calls.get(sid)

    def hang_up(self, sid: str) -> Call | None:
        call = self.calls.get(sid)
        if call is None:
            return None
        with self._lock:
            if call.status == "queued":
                self._queue.remove(call)
                call.touch("canceled")
            elif call.status in ("ringing", "in-progress", "initiated"):
                call.hangup_requested = True
        return call

    def busy(self) -> bool:
        with self._lock:
            return bool(self._queue) or self._active > 0

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no call is queued or in flight (for tests and the demo)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.busy():
                return True
            time.sleep(0.02)
        return False

    def sleep(self, simulated_seconds: float) -> None:
        if self.time_scale > 0 and simulated_seconds > 0:
            time.sleep(simulated_seconds * self.time_scale)

    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is None or not self._dispatcher.is_alive():
            self._dispatcher = threading.Thread(target=self._dispatch, name="carrier-dispatch",
                                                daemon=True)
            self._dispatcher.start()

    def _dispatch(self) -> None:
        interval = 1.0 / self.cps if self.cps > 0 else 0.0
        next_slot = 0.0
        while True:
            with self._lock:
                while not self._queue:
                    self._wake.wait()
                now = time.monotonic()
                if now < next_slot:
                    wait = next_slot - now
                else:
                    wait = 0.0
                    call = self._queue.popleft()
                    self._active += 1
                    self.started_at.append(now)
                    next_slot = max(now, next_slot) + interval
            if wait:
                time.sleep(wait)
                continue
            self._pool.submit(self._run, call)

    def _run(self, call: Call) -> None:
        try:
            self.play(self, call)
        except Exception:
            log.exception("call %s failed in the carrier", call.sid)
            call.touch("failed")
        finally:
            with self._lock:
                self._active -= 1
