"""Major matters, key tasks and city projects with milestones and progress reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.scoring.models import Base
from services.scoring.models.registry import Unit
from shared.db import UTCDateTime, utcnow

TASK_CATEGORIES = ("major_matter", "key_task", "city_project")
PROGRESS_STATUSES = ("not_started", "in_progress", "done", "delayed", "blocked")


class KeyTask(Base):
    __tablename__ = "key_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    leader: Mapped[str] = mapped_column(String(100), default="")
    cadence: Mapped[str] = mapped_column(String(10), default="monthly")

    milestones: Mapped[list[Milestone]] = relationship(
        order_by="Milestone.seq", cascade="all, delete-orphan")
    unit: Mapped[Unit] = relationship()

    @property
    def unit_code(self) -> str:
        return self.unit.code


class Milestone(Base):
    """A dated step of a task; ``planned_percent`` is the cumulative plan at ``due_on``."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("task_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"),
                                         index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    due_on: Mapped[date] = mapped_column(Date)
    planned_percent: Mapped[float] = mapped_column(Float)


class ProgressReport(Base):
    """A unit's report on a task as of a date, optionally completing a milestone."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"),
                                         index=True)
    milestone_seq: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    percent: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    completed_on: Mapped[date | None] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[Any] = mapped_column(JSON, default=list)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reported_by: Mapped[str] = mapped_column(String(200))

    task: Mapped[KeyTask] = relationship()

    @property
    def task_code(self) -> str:
        return self.task.code
