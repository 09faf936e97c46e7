"""Deadline reminders by SMS to each unit's numbers, in zh-CN.

For a case due on county day D (``reminder_cases``) the reminders are: ``before`` on
D − N (``REMINDER_DAYS_BEFORE``, 3), ``due`` on D, ``overdue`` on D + 1 and then every
7 days while the case stays open (until ``OVERDUE_DAYS`` after D). A round
(:func:`send_round`, the ``kaoping reminders send`` command and the worker of
``kaoping run``) sends what falls on the day of its clock; in quiet hours
(``REMINDER_QUIET_HOURS``, county time, 21:00-08:00) it sends nothing and the next round
after them sends the day's reminders.

Once per case, kind and day however many workers run: a round first *claims* the
reminder with ``INSERT … ON CONFLICT DO NOTHING`` on the unique (case, kind, day) and
commits; only the worker whose insert went in sends it (a second worker waits for the
first one's commit and inserts nothing). A crash between the claim and the sending
loses that reminder rather than sending it twice. Numbers that opted out get nothing.
Delivery statuses arrive by Twilio's signed status callbacks (:func:`record_status`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from services.scoring import contacts, reminder_cases
from services.scoring.models.registry import Unit
from services.scoring.models.reminders import (
    HeldMessageStatus,
    Reminder,
    ReminderMessage,
    UnitContact,
)
from services.scoring.reminder_cases import Case, OrderSource
from shared.config import COUNTY_TZ
from shared.db import insert_unless_present, utcnow
from shared.phone_vault import PhoneVault

OVERDUE_EVERY_DAYS = 7
# Twilio's message statuses, in the order a message passes them (a late callback of an
# earlier status never overwrites a later one).
STATUS_ORDER = ("failed", "queued", "accepted", "sending", "sent", "undelivered", "delivered",
                "read")
FINAL = ("failed", "undelivered", "delivered", "read")
HOLD_FOR = timedelta(days=1)  # a held status callback whose message never came is dropped
SIGNATURE = "【县考评办】"


@dataclass(frozen=True)
class Schedule:
    """When reminders go: ``days_before``, quiet hours (start, end) and the county zone."""

    days_before: int = 3
    quiet_hours: tuple[time, time] = (time(21), time(8))
    timezone: ZoneInfo = COUNTY_TZ

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.timezone)

    def is_quiet(self, now: datetime) -> bool:
        """True within the quiet hours (which may run over midnight)."""
        start, end = self.quiet_hours
        clock = self.local(now).time()
        if start == end:
            return False
        return start <= clock < end if start < end else clock >= start or clock < end

    def kind_on(self, deadline: date, day: date) -> str | None:
        """The reminder a case due on ``deadline`` gets on ``day``, if any."""
        if day == deadline - timedelta(days=self.days_before):
            return "before"
        if day == deadline:
            return "due"
        late = (day - deadline).days
        if 0 < late <= reminder_cases.OVERDUE_DAYS and (late - 1) % OVERDUE_EVERY_DAYS == 0:
            return "overdue"
        return None


def text_for(case: Case, kind: str, day: date, unit_name: str) -> str:
    """The zh-CN message of a reminder."""
    when = f"{case.deadline.month}月{case.deadline.day}日"
    if kind == "before":
        left = (case.deadline - day).days
        body = f"{case.subject}将于{when}到期（还有{left}天），请按时办理。"
    elif kind == "due":
        body = f"{case.subject}今天（{when}）到期，请于今日内办结并报送。"
    else:
        body = (f"{case.subject}已于{when}到期，已逾期{(day - case.deadline).days}天，"
                "请尽快办理并说明情况。")
    return f"{SIGNATURE}{unit_name}：{body}回复TD退订。"


@dataclass
class RoundResult:
    """What a round did: the day, whether it was quiet, the reminders it sent."""

    day: date
    quiet: bool = False
    sent: list[dict[str, Any]] = field(default_factory=list)
    skipped_claimed: int = 0


def send_round(factory: sessionmaker[Session], now: datetime, schedule: Schedule,
               vault: PhoneVault, send: Callable[[str, str], Any],
               orders: OrderSource | None = None) -> RoundResult:
    """Send the reminders that fall on ``now``'s county day (nothing in quiet hours).

    ``send(to, body)`` returns a ``sms.Sent``; each claim commits on its own so that a
    concurrent worker sees it (module docstring).
    """
    day = schedule.local(now).date()
    result = RoundResult(day)
    if schedule.is_quiet(now):
        result.quiet = True
        return result
    with factory() as session:
        cases = reminder_cases.open_cases(session, day, schedule.days_before, orders)
        listed = set(session.scalars(select(UnitContact.unit_code).distinct()))
        names = dict(session.execute(select(Unit.code, Unit.name_zh)).all())
    for case in cases:
        kind = schedule.kind_on(case.deadline, day)
        if kind is None or case.unit not in listed:
            continue
        text = text_for(case, kind, day, names.get(case.unit, case.unit))
        with factory() as session:
            claimed = insert_unless_present(session, Reminder, {
                "case_key": case.key, "kind": kind, "day": day, "case_kind": case.kind,
                "unit_code": case.unit, "deadline": case.deadline, "text": text,
                "created_at": utcnow()}, ("case_key", "kind", "day"))
            session.commit()
            if not claimed:
                result.skipped_claimed += 1
                continue
            reminder_id = session.scalar(select(Reminder.id).where(
                Reminder.case_key == case.key, Reminder.kind == kind, Reminder.day == day))
            messages = []
            for contact_id, number in contacts.active_numbers(session, vault, case.unit):
                sent = send(number, text)
                session.add(ReminderMessage(reminder_id=reminder_id, contact_id=contact_id,
                                            sid=sent.sid, status=sent.status, error=sent.error,
                                            sent_at=utcnow(), updated_at=utcnow()))
                messages.append(sent.status)
            commit_and_apply_held(session)  # and the callbacks that came before it
        result.sent.append({"case": case.key, "kind": kind, "unit": case.unit,
                            "deadline": case.deadline.isoformat(), "text": text,
                            "messages": messages})
    return result


def record_status(session: Session, form: dict[str, str]) -> bool:
    """A signed status callback: the message's status moves forward; True when a
    message has its SID. When none has it (yet) the status is held
    (``HeldMessageStatus``) and False returned: the caller then calls
    :func:`commit_and_apply_held`, as the sender does with its messages, so that a
    callback racing the sender's commit is applied by whichever of the two commits
    second."""
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        return False
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    error = form.get("ErrorCode") or None
    if session.scalar(select(ReminderMessage.id).where(ReminderMessage.sid == sid)):
        _advance(session, ReminderMessage, sid, status, error, updated_at=utcnow())
        return True
    if status in STATUS_ORDER and not insert_unless_present(
            session, HeldMessageStatus, {"sid": sid, "status": status, "error": error,
                                         "received_at": utcnow()}, ("sid",)):
        _advance(session, HeldMessageStatus, sid, status, error)
    return False


def commit_and_apply_held(session: Session) -> int:
    """Commit, then apply the held statuses whose message is stored now and forget them
    (and those held longer than ``HOLD_FOR``: a SID that is not ours), and commit again;
    how many were applied. Run by the sender after storing its messages and by a
    callback that was held: one of the two sees both rows."""
    session.commit()
    held = session.execute(select(HeldMessageStatus.sid, HeldMessageStatus.status,
                                  HeldMessageStatus.error).join(
        ReminderMessage, ReminderMessage.sid == HeldMessageStatus.sid)).all()
    for sid, status, error in held:
        _advance(session, ReminderMessage, sid, status, error, updated_at=utcnow())
    session.execute(delete(HeldMessageStatus).where(or_(
        HeldMessageStatus.sid.in_([sid for sid, _, _ in held]),
        HeldMessageStatus.received_at < utcnow() - HOLD_FOR)))
    session.commit()
    return len(held)


def _advance(session: Session, model, sid: str, status: str, error: str | None,
             **also) -> None:
    """Move the row's status forward to ``status`` (never back), keeping the last error,
    in one conditional UPDATE: two callbacks for one SID racing each other cannot
    move it back (the database re-reads the row's status under its lock)."""
    if status not in STATUS_ORDER:
        return
    earlier = STATUS_ORDER[:STATUS_ORDER.index(status)]
    session.execute(update(model).where(
        model.sid == sid, or_(model.status.in_(earlier), model.status.not_in(STATUS_ORDER)))
        .values(status=status, error=func.coalesce(error, model.error), **also)
        .execution_options(synchronize_session=False))


def list_reminders(session: Session, unit: str | None = None, day: date | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
    """Reminders, newest first, each with its messages' contacts (last digits) and
    statuses."""
    query = select(Reminder).order_by(Reminder.day.desc(), Reminder.id.desc()).limit(limit)
    if unit:
        query = query.where(Reminder.unit_code == unit)
    if day:
        query = query.where(Reminder.day == day)
    reminders = list(session.scalars(query))
    by_reminder: dict[int, list[dict[str, Any]]] = {r.id: [] for r in reminders}
    if reminders:
        for message, digits in session.execute(
                select(ReminderMessage, UnitContact.last_digits)
                .join(UnitContact, UnitContact.id == ReminderMessage.contact_id)
                .where(ReminderMessage.reminder_id.in_(list(by_reminder)))
                .order_by(ReminderMessage.id)):
            by_reminder[message.reminder_id].append(
                {"to": f"…{digits}", "sid": message.sid, "status": message.status,
                 "error": message.error})
    return [{"id": r.id, "case": r.case_key, "case_kind": r.case_kind, "kind": r.kind,
             "day": r.day, "unit": r.unit_code, "deadline": r.deadline, "text": r.text,
             "messages": by_reminder[r.id]} for r in reminders]
