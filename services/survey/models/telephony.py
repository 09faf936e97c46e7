"""Telephone polls: campaigns, their sampling frame, call attempts, recordings, and the
do-not-call list. Numbers are stored encrypted with a keyed hash beside them
(``services.survey.telephony.vault``); analysts' endpoints never return them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import UTCDateTime, utcnow

from . import Base


class Campaign(Base):
    """A phone-mode poll's calling plan: windows, attempts, delays, pacing, the IVR voice.

    ``state``: draft → running ⇄ paused → cancelled, or finished when no case is left."""

    __tablename__ = "phone_campaigns"
    __table_args__ = (CheckConstraint(
        "state IN ('draft', 'running', 'paused', 'cancelled', 'finished')", name="state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    windows: Mapped[Any] = mapped_column(JSON)
    weekdays: Mapped[Any] = mapped_column(JSON)
    zone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # Seconds before the next attempt, per outcome; null means "do not call again".
    delays: Mapped[Any] = mapped_column(JSON)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=10)
    cps: Mapped[float] = mapped_column(Float, default=1.0)
    from_number: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    voice: Mapped[str] = mapped_column(String(60), default="Polly.Zhiyu")
    say_language: Mapped[str] = mapped_column(String(20), default="cmn-CN")
    gather_timeout: Mapped[int] = mapped_column(Integer, default=5)
    max_tries: Mapped[int] = mapped_column(Integer, default=3)
    prompts: Mapped[Any] = mapped_column(JSON, default=dict)
    record_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    machine_detection: Mapped[bool] = mapped_column(Boolean, default=True)
    recording_retention_days: Mapped[int] = mapped_column(Integer, default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    poll = relationship("Poll", lazy="joined")


class PhoneContact(Base):
    """A number of a campaign's sampling frame, with its case state (pending → dialing →
    pending again or done) and interview."""

    __tablename__ = "phone_contacts"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number_hash"),
        CheckConstraint("state IN ('pending', 'dialing', 'done')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("phone_campaigns.id", ondelete="CASCADE"), index=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), unique=True)
    township: Mapped[str] = mapped_column(String(40), index=True)
    stratum: Mapped[str | None] = mapped_column(String(60), nullable=True)
    number_encrypted: Mapped[str] = mapped_column(Text)
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(),
                                                             nullable=True, index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcomes: Mapped[Any] = mapped_column(JSON, default=list)
    # Questions coded "no answer" after the last re-prompt (not asked again).
    skipped: Mapped[Any] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaign = relationship("Campaign", lazy="joined")
    interview = relationship("Interview", lazy="joined")


class CallAttempt(Base):
    """One call (outbound attempt or inbound call-back) and its process data.

    ``state``: placing (claimed) → placed → in-progress → ended, or lost (given back)."""

    __tablename__ = "call_attempts"
    __table_args__ = (
        UniqueConstraint("contact_id", "attempt_number"),
        CheckConstraint("state IN ('placing', 'placed', 'in-progress', 'ended', 'lost')",
                        name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("phone_campaigns.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("phone_contacts.id", ondelete="CASCADE"), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(10), default="outbound")
    state: Mapped[str] = mapped_column(String(12), default="placing", index=True)
    worker: Mapped[str | None] = mapped_column(String(80), nullable=True)
    call_sid: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    call_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(30), nullable=True)
    duration: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consent: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    last_question: Mapped[str | None] = mapped_column(String(60), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(8), nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)

    contact = relationship("PhoneContact", lazy="joined")


class Recording(Base):
    """A voice answer's recording; ``url`` is cleared when the retention period ends."""

    __tablename__ = "phone_recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("call_attempts.id", ondelete="CASCADE"), index=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(60))
    recording_sid: Mapped[str] = mapped_column(String(40), unique=True)
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DoNotCall(Base):
    """A number never to call (by keyed hash only)."""

    __tablename__ = "do_not_call"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SendSlot(Base):
    """A campaign's shared calling pace: the next free moment to place a call, in epoch
    seconds (``services.survey.telephony.slots``); every dialer worker reserves from it."""

    __tablename__ = "phone_send_slots"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("phone_campaigns.id", ondelete="CASCADE"), primary_key=True)
    # The slot handed out last and the first free one after it (seconds since the epoch).
    slot: Mapped[float] = mapped_column(Float)
    next_free: Mapped[float] = mapped_column(Float)
