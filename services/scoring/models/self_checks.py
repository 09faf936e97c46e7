"""Monthly self-check values; every correction is a new version, all versions are kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow


class SelfCheck(Base):
    """One version of one unit's reported value of one indicator in one period."""

    __tablename__ = "self_checks"
    # The unique index also serves reads by period; no second index, so that a
    # 300,000-row month import maintains one B-tree besides the table. On PostgreSQL
    # the two foreign keys below are enforced by statement-level triggers instead of
    # constraints (migration scoring_0007: one check per statement, not per row).
    __table_args__ = (UniqueConstraint("period_id", "unit_id", "indicator", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    indicator: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    target: Mapped[float | None] = mapped_column(Float)
    actual: Mapped[float | None] = mapped_column(Float)
    unit_of_measure: Mapped[str] = mapped_column(String(40), default="")
    narrative: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[Any] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(200))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
