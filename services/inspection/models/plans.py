"""Inspection plans (open or unannounced) and the inspectors assigned to them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.inspection.models import Base
from shared.db import UTCDateTime, utcnow

PLAN_KINDS = ("open", "unannounced")


class Plan(Base):
    """A set of visits to units in a window; ``draw`` records a random draw and its seed."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    window_from: Mapped[date] = mapped_column(Date)
    window_to: Mapped[date] = mapped_column(Date)
    self_check_period: Mapped[str | None] = mapped_column(String(10), nullable=True)
    selection: Mapped[str] = mapped_column(String(20))
    # The draw's frame can be long: not loaded with every visit's plan, only when asked.
    draw: Mapped[Any] = mapped_column(JSON, nullable=True, deferred=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    inspectors: Mapped[list[PlanInspector]] = relationship(
        order_by="PlanInspector.id", lazy="select", cascade="all, delete-orphan")

    @property
    def inspector_subs(self) -> list[str]:
        return [row.inspector for row in self.inspectors]


class PlanInspector(Base):
    __tablename__ = "plan_inspectors"
    __table_args__ = (UniqueConstraint("plan_id", "inspector"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    inspector: Mapped[str] = mapped_column(String(120))
