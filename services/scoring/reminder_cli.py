"""``kaoping reminders send [--at ISO]`` (one round now, or at a given instant) and
``kaoping reminders worker`` (a round every ``REMINDER_INTERVAL`` seconds; ``kaoping
run`` starts it): the deadline reminders of ``services.scoring.reminders``."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from shared.config import ConfigError
from shared.stopping import stop_on_signals

log = logging.getLogger("kaoping.reminders")


def register(sub) -> None:
    parser = sub.add_parser("reminders", help="deadline reminders by SMS")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    send = actions.add_parser("send", help="send the reminders due now (or --at an instant)")
    send.add_argument("--at", default=None,
                      help="ISO instant of the round, e.g. 2026-06-17T09:00+08:00 (default now)")
    send.add_argument("--json", action="store_true", help="print the round as JSON")
    send.set_defaults(func=_send)
    worker = actions.add_parser("worker", help="send the reminders due, every REMINDER_INTERVAL s")
    worker.set_defaults(func=_worker)


def _instant(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--at must be an ISO date-time, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def make_round(settings):
    """``run(now)`` → RoundResult on the settings' database, SMS account and orders."""
    from services.scoring import reminders
    from services.scoring.sms import TwilioSms
    from shared.client import peer_client
    from shared.db import make_engine, session_factory
    from shared.errors import DomainError

    engine = make_engine(settings.database.url, pool_size=settings.database.pool_size,
                         max_overflow=settings.database.max_overflow)
    factory, sms = session_factory(engine), TwilioSms(settings.sms)
    schedule = reminders.Schedule(settings.days_before, settings.quiet_hours, settings.timezone)
    inspection = peer_client("scoring", "inspection", url=settings.inspection_url, retries=1)

    def orders():
        try:
            return inspection.get_json("/api/v1/orders")
        except DomainError as exc:
            log.warning("orders not read, no order reminders this round: %s", exc.message)
            return []

    def run(now: datetime):
        return reminders.send_round(factory, now, schedule, settings.sms.phone_vault(),
                                    sms.send, orders)

    return run


def _send(args) -> int:
    from services.scoring.config import ReminderSettings

    result = make_round(ReminderSettings.from_env())(_instant(args.at))
    if args.json:
        print(json.dumps({"day": result.day.isoformat(), "quiet": result.quiet,
                          "sent": result.sent}, ensure_ascii=False, indent=1))
        return 0
    if result.quiet:
        print(f"{result.day}: quiet hours, nothing sent")
    for item in result.sent:
        print(f"{item['unit']:>6} {item['kind']:<8} {item['case']:<28} {item['text']}"
              f"  → {', '.join(item['messages']) or 'no active number'}")
    print(f"{len(result.sent)} reminder(s) on {result.day}")
    return 0


def _worker(_args) -> int:
    from services.scoring.config import ReminderSettings

    settings = ReminderSettings.from_env()
    run, stop = make_round(settings), threading.Event()
    stop_on_signals(stop)
    while not stop.is_set():
        try:
            result = run(datetime.now(UTC))
            log.info("reminder round %s: %d sent%s", result.day, len(result.sent),
                     " (quiet hours)" if result.quiet else "")
        except Exception:  # noqa: BLE001 — a failed round is logged; the next one retries
            log.exception("reminder round failed")
        stop.wait(settings.interval_s)
    return 0
