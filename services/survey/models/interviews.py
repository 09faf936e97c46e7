"""Interviews (one per sample member) and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import UTCDateTime, utcnow

from . import Base


class Interview(Base):
    """A sample member of a poll and, once they answer, their interview.

    ``status``: not_started → in_progress → complete, or at close partial / ended.
    ``disposition`` is the AAPOR final (or temporary) disposition code, e.g. ``1.1``.
    """

    __tablename__ = "interviews"
    __table_args__ = (
        CheckConstraint("mode IN ('phone', 'web', 'paper')", name="mode"),
        CheckConstraint("status IN ('not_started', 'in_progress', 'complete', 'partial', "
                        "'ended')", name="status"),
        UniqueConstraint("poll_id", "external_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    township: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    stratum: Mapped[str | None] = mapped_column(String(60), nullable=True)
    cluster: Mapped[str | None] = mapped_column(String(60), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    disposition: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    # Paper form number or another caller's reference; unique within a poll.
    external_ref: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(),
                                                          nullable=True)

    answers = relationship("Answer", cascade="all, delete-orphan", lazy="selectin",
                           order_by="Answer.id")


class Answer(Base):
    """One answer, stored as it arrives; at most one per interview and question."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("interview_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"),
                                              index=True)
    question_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow)
