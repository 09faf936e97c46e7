"""A visit's submitted versions: the answers to its checklist items and its findings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.inspection.models import Base
from shared.db import UTCDateTime, utcnow

SEVERITIES = ("minor", "major", "critical")


class VisitVersion(Base):
    """An immutable submission of a visit's answers; an amendment is the next version."""

    __tablename__ = "visit_versions"
    __table_args__ = (UniqueConstraint("visit_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    version: Mapped[int] = mapped_column(Integer)
    client_uuid: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_raw: Mapped[float | None] = mapped_column(Float, nullable=True)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_version: Mapped[str] = mapped_column(String(40))

    responses: Mapped[list[VisitResponse]] = relationship(order_by="VisitResponse.id",
                                                          lazy="selectin")
    findings: Mapped[list[Finding]] = relationship(order_by="Finding.id", lazy="selectin")


class VisitResponse(Base):
    """The answer to one checklist item in one version, with its score contribution."""

    __tablename__ = "visit_responses"
    __table_args__ = (Index("ix_visit_responses_version_id", "version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("visit_versions.id"))
    item_id: Mapped[str] = mapped_column(String(80))
    result: Mapped[str | None] = mapped_column(String(10), nullable=True)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    self_reported: Mapped[float | None] = mapped_column(Float, nullable=True)
    discrepant: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)


class Finding(Base):
    """A problem found on a visit: severity, optional linked item, description."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("visit_versions.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    ref: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    description: Mapped[str] = mapped_column(Text)
