"""Documents made from published runs: the monthly ranking notice, the quarterly bulletin,
the mid-year and year-end reports.

A document is stored once and never changed: its HTML, its PDF, the SHA-256 of the PDF,
the run it was made from with the run's two hashes, and ``sources``, everything beyond the
run that it printed (poll satisfaction and response rates, inspection findings and
orders, self-check completeness, key-task milestones) as it was read, so that rendering
it again gives the same document (:func:`services.scoring.documents.verify`). Only the
withdrawal fields change, once: a withdrawn document stays listed with its reason and,
when a corrected one replaced it, ``replaced_by_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.scoring.models import Base
from shared.db import UTCDateTime, utcnow

DOCUMENT_KINDS = ("notice", "bulletin", "midyear", "yearend")
RUN_KIND_OF_DOCUMENT = {"notice": "monthly", "bulletin": "quarterly", "midyear": "mid-year",
                        "yearend": "year-end"}
LANGUAGES = ("zh", "en")
DOCUMENT_STATES = ("current", "withdrawn")
# Columns that may change after a document is stored (its withdrawal).
MUTABLE = frozenset({"state", "withdrawn_reason", "withdrawn_by", "withdrawn_at",
                     "replaced_by_id"})


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    lang: Mapped[str] = mapped_column(String(5))
    run_id: Mapped[int] = mapped_column(ForeignKey("score_runs.id", ondelete="RESTRICT"),
                                        index=True)
    run_inputs_sha256: Mapped[str] = mapped_column(String(64))
    run_results_sha256: Mapped[str] = mapped_column(String(64))
    sources: Mapped[Any] = mapped_column(JSON)
    sources_sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = deferred(mapped_column(Text))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_bytes: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="current")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"),
                                                       nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@event.listens_for(Document, "before_update")
def _immutable(_mapper, _connection, target: Document) -> None:
    """Refuse any change of a stored document but its withdrawal."""
    from sqlalchemy import inspect

    changed = {a.key for a in inspect(target).attrs if a.history.has_changes()}
    if changed - MUTABLE:
        raise ValueError("a stored document is immutable (tried to change "
                         f"{sorted(changed - MUTABLE)})")


@event.listens_for(Document, "before_delete")
def _kept(_mapper, _connection, target: Document) -> None:
    raise ValueError(f"document {target.id} is archived and cannot be deleted")
