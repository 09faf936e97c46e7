"""Visits: one inspector, one unit, one plan; check-in, status and current score."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.inspection.models import Base
from services.inspection.models.evidence import Attachment
from services.inspection.models.plans import Plan
from services.inspection.models.submissions import VisitVersion
from shared.db import UTCDateTime, utcnow


class Visit(Base):
    """One inspector's visit to one unit under a plan; answers live in ``VisitVersion``."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_plan_id", "plan_id"),
                      Index("ix_visits_unit_code", "unit_code"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    unit_code: Mapped[str] = mapped_column(String(40))
    stratum: Mapped[str | None] = mapped_column(String(80), nullable=True)
    inspector: Mapped[str] = mapped_column(String(120))
    # scheduled → checked_in → submitted → approved, or returned (and amended) → submitted
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    # Registered location of the unit, cached from the scoring registry or the plan.
    unit_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checkin_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_provider: Mapped[str | None] = mapped_column(String(20), nullable=True)
    checkin_mock: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    checkin_device_time: Mapped[datetime | None] = mapped_column(UTCDateTime(),
                                                                 nullable=True)
    checkin_distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkin_flags: Mapped[Any] = mapped_column(JSON, nullable=True)
    # The day the visit counts for: the local check-in date, kept inside the plan window.
    reference_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Self-reported values of this unit for the plan's period: {item_id: value}.
    self_reports: Mapped[Any] = mapped_column(JSON, nullable=True)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    plan: Mapped[Plan] = relationship(lazy="joined", innerjoin=True)
    versions: Mapped[list[VisitVersion]] = relationship(order_by="VisitVersion.version",
                                                        lazy="select", viewonly=True)
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id",
                                                         lazy="select", viewonly=True)

    @property
    def plan_kind(self) -> str:
        return self.plan.kind
