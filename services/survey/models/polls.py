"""Polls: a questionnaire fielded in townships by one or more modes, with quotas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import UTCDateTime, utcnow

from . import Base

POLL_STATUSES = ("draft", "fielding", "closed")
MODES = ("phone", "web", "paper")


class Poll(Base):
    __tablename__ = "polls"
    __table_args__ = (CheckConstraint("status IN ('draft', 'fielding', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    modes: Mapped[Any] = mapped_column(JSON)
    field_start: Mapped[date] = mapped_column(Date)
    field_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # A question whose answer code is the respondent's stratum (when links carry none).
    stratum_question: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # Share of the questions on a respondent's path that makes a break-off a partial (AAPOR P).
    partial_threshold: Mapped[float] = mapped_column(Float, default=0.5)
    # Stop taking new interviews in a township (or stratum) whose quota is filled.
    stop_at_quota: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    margins_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(),
                                                                nullable=True)

    questionnaire = relationship("Questionnaire", lazy="joined")
    townships = relationship("PollTownship", order_by="PollTownship.township",
                             cascade="all, delete-orphan", lazy="selectin")
    quotas = relationship("StratumQuota", order_by="(StratumQuota.township, StratumQuota.stratum)",
                          cascade="all, delete-orphan", lazy="selectin")


class PollTownship(Base):
    """A township in a poll, with its target number of completed interviews."""

    __tablename__ = "poll_townships"
    __table_args__ = (UniqueConstraint("poll_id", "township"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    township: Mapped[str] = mapped_column(String(40))
    target_completes: Mapped[int] = mapped_column(Integer, default=0)


class StratumQuota(Base):
    """Optional target of completes for one stratum (e.g. age band) within a township."""

    __tablename__ = "stratum_quotas"
    __table_args__ = (UniqueConstraint("poll_id", "township", "stratum"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    township: Mapped[str] = mapped_column(String(40))
    stratum: Mapped[str] = mapped_column(String(60))
    target_completes: Mapped[int] = mapped_column(Integer)


class PollMargin(Base):
    """Snapshot of a township's population margins pulled from the scoring registry."""

    __tablename__ = "poll_margins"
    __table_args__ = (UniqueConstraint("poll_id", "township", "variable", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    township: Mapped[str] = mapped_column(String(40))
    variable: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(120))
    count: Mapped[float] = mapped_column(Float)
