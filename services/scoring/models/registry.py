"""Registry tables: peer groups, units, township population margins, change log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow

UNIT_KINDS = ("township", "department")


class PeerGroup(Base):
    """Units compared with each other (by nature and function)."""

    __tablename__ = "peer_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


class Unit(Base):
    """A township or county department that is assessed."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    peer_group_id: Mapped[int | None] = mapped_column(ForeignKey("peer_groups.id"), index=True)
    active_from: Mapped[date | None] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    peer_group: Mapped[PeerGroup | None] = relationship(lazy="joined")

    @property
    def peer_group_code(self) -> str | None:
        return self.peer_group.code if self.peer_group else None

    def is_active_on(self, day: date) -> bool:
        """Active on ``day``: from ``active_from`` (if any) to ``active_to`` (if any)."""
        return ((self.active_from is None or self.active_from <= day)
                and (self.active_to is None or self.active_to >= day))


class TownshipMargin(Base):
    """Population count of one category of a (possibly joint) variable in a township."""

    __tablename__ = "township_margins"
    __table_args__ = (UniqueConstraint("unit_id", "variable", "category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    variable: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100))
    count: Mapped[float] = mapped_column(Float)

    unit: Mapped[Unit] = relationship()

    @property
    def unit_code(self) -> str:
        return self.unit.code


class RegistryChange(Base):
    """One versioned change of the registry; its id is the registry version it makes.

    ``after`` is the entity's full state after the change (None when deleted), so the
    registry at any version is the last change of each entity up to that version.
    """

    __tablename__ = "registry_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(String(100), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
