"""Indicator values imported from other systems (source ``direct``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow


class DirectValue(Base):
    """The latest imported value of an indicator for a unit and period."""

    __tablename__ = "direct_values"
    __table_args__ = (UniqueConstraint("period_id", "unit_id", "indicator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    indicator: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    source_label: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(200))
