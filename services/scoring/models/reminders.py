"""Deadline reminders by SMS: the units' contact numbers (encrypted), one reminder per
case, kind and county day, and the messages sent for it with their delivery status."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow

REMINDER_KINDS = ("before", "due", "overdue")
CASE_KINDS = ("self_check", "order", "milestone", "instruction")


class UnitContact(Base):
    """A number that receives a unit's reminders: encrypted at rest (Fernet, the keys of
    ``SCORING_PHONE_KEYS``), found by its keyed hash; ``opted_out`` (a STOP or the
    office's flag) stops every message to it."""

    __tablename__ = "unit_contacts"
    __table_args__ = (UniqueConstraint("unit_code", "number_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    number_ciphertext: Mapped[str] = mapped_column(Text)
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    last_digits: Mapped[str] = mapped_column(String(4))
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(Base):
    """One reminder of a case (``instruction:12:T01``) of a kind on a county day: the
    unique key is what keeps two workers from sending it twice."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("case_key", "kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date, index=True)
    case_kind: Mapped[str] = mapped_column(String(12))
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    deadline: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReminderMessage(Base):
    """One SMS of a reminder to one contact, with Twilio's message SID and the latest
    status its signed callbacks reported."""

    __tablename__ = "reminder_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"),
                                             index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("unit_contacts.id"), index=True)
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HeldMessageStatus(Base):
    """A status callback that arrived before its message was stored: the carrier may
    call back (after 50 ms in the simulation, sub-second at Twilio) while the sender
    has not yet committed the SID the send returned. Kept here, the most advanced
    status per SID, and applied when the message is there (``reminders.commit_and_apply_held``)."""

    __tablename__ = "held_message_statuses"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
