"""Visits, their submitted versions, responses, findings and evidence files."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.inspection.models import Base
from services.inspection.models.plan import Plan
from shared.db import UTCDateTime, utcnow

VISIT_STATES = ("scheduled", "checked_in", "submitted", "returned", "approved")
SEVERITIES = ("minor", "major", "critical")
EVIDENCE_KINDS = ("photo", "audio", "document")


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
