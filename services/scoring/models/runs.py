"""Score runs and their per-unit results.

A run stores everything needed to compute it again: the scheme version, the period,
the kind, the seed, the method record and an immutable snapshot of every input with
its SHA-256. ``results_sha256`` hashes the per-unit results, so a recomputation can be
checked bit for bit. A published run (and the scheme version it used) is frozen.
``sensitivity`` holds the engine's sensitivity report of a run started with the
``sensitivity`` option (NULL otherwise).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow

RUN_KINDS = ("monthly", "quarterly", "mid-year", "year-end")
RUN_STATES = ("computed", "published")


class ScoreRun(Base):
    __tablename__ = "score_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL: a computed run outlives a deleted draft version (its snapshot holds the
    # document), but can no longer be published.
    scheme_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scheme_versions.id", ondelete="SET NULL"), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    seed: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="computed")
    options: Mapped[Any] = mapped_column(JSON)
    method: Mapped[Any] = mapped_column(JSON)
    inputs: Mapped[Any] = mapped_column(JSON, deferred=True)  # loaded when read
    sensitivity: Mapped[Any] = mapped_column(JSON, nullable=True, deferred=True)
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    results_sha256: Mapped[str] = mapped_column(String(64))
    units: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    results: Mapped[list[ScoreResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ScoreResult.id")


class ScoreResult(Base):
    """One unit's numbers in a run. ``indicators`` maps indicator id to ``{raw, se, value,
    normalised, contribution}``; ``nodes`` maps node id to its score; ``segments`` holds
    the composites of the periods a mid-year or year-end run blends."""

    __tablename__ = "score_results"
    __table_args__ = (UniqueConstraint("run_id", "unit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id", ondelete="CASCADE"),
                                        index=True)
    unit: Mapped[str] = mapped_column(String(40))
    peer_group: Mapped[str] = mapped_column(String(40))
    composite: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    group_size: Mapped[int] = mapped_column(Integer)
    composite_lo: Mapped[float | None] = mapped_column(Float)
    composite_hi: Mapped[float | None] = mapped_column(Float)
    rank_lo: Mapped[int | None] = mapped_column(Integer)
    rank_hi: Mapped[int | None] = mapped_column(Integer)
    p_top_k: Mapped[float | None] = mapped_column(Float)
    p_advanced: Mapped[float | None] = mapped_column(Float)
    advanced: Mapped[bool | None] = mapped_column(Boolean)
    near_cutoff: Mapped[bool] = mapped_column(Boolean, default=False)
    credibility: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[Any] = mapped_column(JSON)
    indicators: Mapped[Any] = mapped_column(JSON)
    nodes: Mapped[Any] = mapped_column(JSON)
    segments: Mapped[Any] = mapped_column(JSON)
    missing: Mapped[Any] = mapped_column(JSON)

    run: Mapped[ScoreRun] = relationship(back_populates="results")
