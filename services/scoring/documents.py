"""Documents from published runs, the use cases: make, list, read, verify, withdraw.

A document (the monthly ranking notice, the quarterly bulletin, the mid-year and the
year-end report) is made from a **published** run only: a computed run is refused (409
naming ``run_id``), a period without a published run of the document's kind too (409
naming ``period``), a period that does not fit the kind is a 422. What it prints beyond
the run is read once (:mod:`services.scoring.document_sources`) and stored with it, so
:func:`verify` can render it again from the run and that record and compare the bytes.

A stored document never changes (``models/documents.py`` refuses it). Asking again for
the same kind, run and language returns the current document instead of a second copy;
a correction is a new document that ``replaces`` the current one with a ``reason``: the
old one is withdrawn (reason, who, when, ``replaced_by_id``) and both stay listed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring import document_content, document_render, document_sources, results
from services.scoring.assessment import canonical_sha256
from services.scoring.models.documents import RUN_KIND_OF_DOCUMENT, Document
from services.scoring.models.runs import ScoreRun
from services.scoring.run_inputs import Sources, segment_periods
from services.scoring.schemas.runs import RunSchema
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, ValidationFailed


def _published_run(session: Session, kind: str, period: str | None,
                   run_id: int | None) -> ScoreRun:
    run_kind = RUN_KIND_OF_DOCUMENT[kind]
    if run_id is not None:
        run = get_or_404(session, ScoreRun, run_id, name="Run")
        if run.kind != run_kind:
            raise ValidationFailed(f"A {kind} is made from a {run_kind} run; run {run.id} is "
                                   f"{run.kind}", {"run_id": [f"run {run.id} is {run.kind}"]})
        if period is not None and period != run.period:
            raise ValidationFailed(f"Run {run.id} is of {run.period}, not {period}",
                                   {"period": [f"run {run.id} is of {run.period}"]})
    else:
        if period is None:
            raise ValidationFailed("Give a period or a run", {"period": ["required"]})
        segment_periods(run_kind, period)  # 422 when the period does not fit the kind
        runs = list(session.scalars(select(ScoreRun).where(
            ScoreRun.kind == run_kind, ScoreRun.period == period).order_by(ScoreRun.id.desc())))
        published = [r for r in runs if r.state == "published"]
        if not published:
            waiting = f" (run {runs[0].id} is computed, not published)" if runs else ""
            raise Conflict(f"No published {run_kind} run for {period}{waiting}; publish the "
                           "run first", {"period": [f"no published {run_kind} run"]})
        run = published[0]
    if run.state != "published":
        raise Conflict(f"Run {run.id} is not published; a document is made from a published "
                       "run only", {"run_id": ["not published"]})
    return run


def run_context(session: Session, run: ScoreRun) -> tuple[dict[str, Any], list[dict]]:
    """The run as the templates read it and its ranking rows with each unit's segments."""
    data = RunSchema().dump(run)
    data["units"] = {u["code"]: u for u in run.inputs["units"]}
    rows = results.ranking(session, run)
    segments = {r.unit: r.segments for r in run.results}
    for row in rows:
        row["segments"] = segments.get(row["unit"]) or {}
    previous = next((r["previous_run_id"] for r in rows if r["previous_run_id"]), None)
    data["previous_period"] = session.get(ScoreRun, previous).period if previous else None
    return data, rows


def render(session: Session, kind: str, lang: str, run: ScoreRun,
           sources: dict[str, Any]) -> document_render.Rendered:
    data, rows = run_context(session, run)
    with document_render.collector_paused():  # (the charts too: see there)
        context = document_content.build(kind, lang, data, rows, sources, run.sensitivity)
        return document_render.render(kind, context)


def create_document(session: Session, data: dict[str, Any], actor: str,
                    sources: Sources) -> Document:
    """Make (or return the current) document of a published run; see the module doc."""
    kind, lang = data["kind"], data.get("lang", "zh")
    run = _published_run(session, kind, data.get("period"), data.get("run_id"))
    old = None
    if data.get("replaces") is not None:
        old = get_or_404(session, Document, data["replaces"], name="Document")
        if not data.get("reason"):
            raise ValidationFailed("A replacement states its reason", {"reason": ["required"]})
        if old.state != "current":
            raise Conflict(f"Document {old.id} is already withdrawn", {"replaces": ["withdrawn"]})
        if (old.kind, old.period) != (kind, run.period):
            raise ValidationFailed(f"Document {old.id} is a {old.kind} of {old.period}",
                                   {"replaces": [f"a {old.kind} of {old.period}"]})
    else:
        existing = session.scalar(select(Document).where(
            Document.kind == kind, Document.run_id == run.id, Document.lang == lang,
            Document.state == "current").order_by(Document.id.desc()))
        if existing is not None:
            return existing
    polls = data.get("polls")
    if polls is None:
        polls = list(run.options.get("polls", []))
    used = document_sources.collect(session, kind, run.period, polls,
                                    data.get("missing_source", "fail"), sources)
    made = render(session, kind, lang, run, used)
    document = Document(
        kind=kind, period=run.period, lang=lang, run_id=run.id,
        run_inputs_sha256=run.inputs_sha256, run_results_sha256=run.results_sha256,
        sources=used, sources_sha256=canonical_sha256(used),
        title=_title(made.html), html=made.html, pdf=made.pdf, pdf_sha256=made.sha256,
        pdf_bytes=len(made.pdf), pages=made.pages, state="current",
        replaces_id=old.id if old else None, created_by=actor, created_at=utcnow())
    session.add(document)
    session.flush()
    if old is not None:
        _withdraw(old, data["reason"], actor, replaced_by=document.id)
        session.flush()
    return document


def _title(text: str) -> str:
    start = text.index("<title>") + len("<title>")
    return text[start:text.index("</title>", start)][:300]


def _withdraw(document: Document, reason: str, actor: str, replaced_by: int | None) -> None:
    document.state = "withdrawn"
    document.withdrawn_reason = reason
    document.withdrawn_by = actor
    document.withdrawn_at = utcnow()
    document.replaced_by_id = replaced_by


def withdraw(session: Session, document_id: int, reason: str, actor: str) -> Document:
    """Withdraw a current document with a reason (it stays listed); 409 when withdrawn."""
    document = get_or_404(session, Document, document_id, name="Document")
    if document.state != "current":
        raise Conflict(f"Document {document_id} is already withdrawn", {"state": ["withdrawn"]})
    _withdraw(document, reason, actor, replaced_by=None)
    session.flush()
    return document


def list_documents(session: Session, kind: str | None = None, period: str | None = None,
                   state: str | None = None) -> list[Document]:
    query = select(Document).order_by(Document.id.desc())
    for column, value in ((Document.kind, kind), (Document.period, period),
                          (Document.state, state)):
        if value:
            query = query.where(column == value)
    return list(session.scalars(query))


def get_document(session: Session, document_id: int) -> Document:
    return get_or_404(session, Document, document_id, name="Document")


def verify(session: Session, document_id: int) -> dict[str, Any]:
    """Render the document again from its run and its stored sources and compare."""
    document = get_document(session, document_id)
    run = session.get(ScoreRun, document.run_id)
    made = render(session, document.kind, document.lang, run, document.sources)
    return {"document_id": document.id, "pdf_sha256": document.pdf_sha256,
            "pdf_sha256_rendered": made.sha256,
            "stored_pdf_sha256_recomputed": hashlib.sha256(document.pdf).hexdigest(),
            "html_identical": made.html == document.html,
            "run_hashes_match": (run.inputs_sha256, run.results_sha256)
            == (document.run_inputs_sha256, document.run_results_sha256),
            "reproduced": made.sha256 == document.pdf_sha256 and made.html == document.html}
