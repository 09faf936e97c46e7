"""Checklist templates: versioned lists of items an inspector answers on site."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.inspection.models import Base
from shared.db import UTCDateTime, utcnow

RESPONSE_TYPES = ("pass_fail", "points", "measurement", "text")
TOLERANCE_KINDS = ("absolute", "relative")


class ChecklistTemplate(Base):
    """One version of a checklist; a change is a new row with the next version."""

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    # A failed critical item caps the visit score at this value (0..100).
    critical_cap: Mapped[float] = mapped_column(Float, default=60.0)
    scoring_rule_version: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", order_by="ChecklistItem.position", lazy="selectin")


class ChecklistItem(Base):
    """An item with a stable id (shared with the scheme's self-check indicator it checks)."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("template_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    item_id: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    text_zh: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    weight: Mapped[float] = mapped_column(Float)
    response_type: Mapped[str] = mapped_column(String(20))
    max_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit_of_measure: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tolerance: Mapped[float | None] = mapped_column(Float, nullable=True)
    tolerance_kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")
