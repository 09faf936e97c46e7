"""Assessment periods: month, quarter, half-year, year."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.scoring.models import Base
from shared.db import UTCDateTime

PERIOD_KINDS = ("month", "quarter", "half_year", "year")


class Period(Base):
    """A period with its dates, open/closed state and self-check deadline (UTC)."""

    __tablename__ = "periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="open")
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
