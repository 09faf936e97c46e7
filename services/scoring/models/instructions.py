"""Leadership instructions (批示件): responsible units, progress reports, extension
requests and the trail of every change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow

INSTRUCTION_STATES = ("open", "in_progress", "submitted", "returned", "verified", "closed")
UNIT_ROLES = ("lead", "assisting")
EXTENSION_STATES = ("pending", "approved", "rejected")


class Instruction(Base):
    """A county leader's written instruction and the office's follow-up of it.

    ``deadline`` is the deadline in force (an approved extension moves it);
    ``original_deadline`` the one first given. ``submitted_on`` is the county date of the
    lead unit's completion report that the office verified (None before).
    """

    __tablename__ = "instructions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leader: Mapped[str] = mapped_column(String(100))
    document_no: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    original_deadline: Mapped[date] = mapped_column(Date)
    attachments: Mapped[Any] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    units: Mapped[list[InstructionUnit]] = relationship(
        order_by="InstructionUnit.id", cascade="all, delete-orphan", lazy="selectin")

    @property
    def lead_unit(self) -> str:
        return next(u.unit_code for u in self.units if u.role == "lead")

    @property
    def unit_codes(self) -> list[str]:
        return [u.unit_code for u in self.units]


class InstructionUnit(Base):
    """A unit responsible for an instruction: the lead unit or an assisting one."""

    __tablename__ = "instruction_units"
    __table_args__ = (UniqueConstraint("instruction_id", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True)
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(10))


class InstructionReport(Base):
    """A unit's progress report with evidence links; ``completed`` asks the office to
    judge the instruction done (the lead unit only)."""

    __tablename__ = "instruction_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True)
    unit_code: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    evidence: Mapped[Any] = mapped_column(JSON, default=list)
    completed: Mapped[bool] = mapped_column(default=False)
    reported_on: Mapped[date] = mapped_column(Date)
    reported_by: Mapped[str] = mapped_column(String(200))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExtensionRequest(Base):
    """The lead unit asks for a later deadline with a reason; the planner decides."""

    __tablename__ = "instruction_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True)
    unit_code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    requested_deadline: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    decision_note: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InstructionEvent(Base):
    """The audit trail: every change of an instruction, who made it and when
    (append-only; nothing updates or deletes a row)."""

    __tablename__ = "instruction_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("instructions.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[Any] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
