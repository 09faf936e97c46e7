"""Rectification orders issued from findings, and the history of their states."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.inspection.models import Base
from services.inspection.models.evidence import Attachment
from shared.config import county_today
from shared.db import UTCDateTime, utcnow

ORDER_STATES = ("open", "submitted", "closed", "reopened")


class RectificationOrder(Base):
    """A fix a unit owes by a deadline: open → submitted → closed, or back to reopened."""

    __tablename__ = "rectification_orders"
    __table_args__ = (Index("ix_rectification_orders_unit_code", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    unit_code: Mapped[str] = mapped_column(String(40))
    deadline: Mapped[date] = mapped_column(Date)
    instructions: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    follow_up_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"),
                                                           nullable=True)

    @property
    def submitted_at_local_date(self) -> date:
        """The day (Asia/Shanghai) the unit submitted its fix."""
        at = self.submitted_at if self.submitted_at.tzinfo else \
            self.submitted_at.replace(tzinfo=UTC)
        return county_today(at)

    events: Mapped[list[OrderEvent]] = relationship(order_by="OrderEvent.id", lazy="selectin")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id",
                                                         lazy="selectin", viewonly=True)


class OrderEvent(Base):
    """One transition of an order: who, when, from, to, note, evidence."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_orders.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str | None] = mapped_column(String(10), nullable=True)
    to_state: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachment_ids: Mapped[Any] = mapped_column(JSON, nullable=True)
