"""Evidence files of a visit or a rectification order: declared, then streamed in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.inspection.models import Base
from shared.db import UTCDateTime, utcnow

EVIDENCE_KINDS = ("photo", "audio", "document")


class Attachment(Base):
    """An evidence file: declared with its hash and size first, then streamed to storage."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_visit_id", "visit_id"),
                      Index("ix_attachments_order_id", "order_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_orders.id"),
                                                 nullable=True)
    kind: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    finding_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="declared")
    storage_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    declared_by: Mapped[str] = mapped_column(String(120))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
