"""AAPOR outcome rates of a poll (or of a telephone campaign's cases) per township and
overall, from the stored dispositions: the one use case of the rates.

Counts come from each sample member's disposition category (``dispositions.category``);
the rates are the pure ``services.survey.estimation.outcome_rates`` (RR1–RR6, COOP1–4,
REF1–3, CON1–3). ``e`` is the caller's or, by default, estimated from the resolved
cases. Sample members not yet tied to a township (an unbound web link never opened)
count only in the overall rates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import get_or_404
from shared.errors import ValidationFailed

from .dispositions import category
from .estimation import Dispositions, EstimationError, outcome_rates
from .models.interviews import Interview
from .models.polls import Poll

CATEGORIES = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")


def tally(rows: Iterable[tuple[str | None, str, int]]) -> dict[str | None, Dispositions]:
    """``{township: counts per AAPOR category}`` from ``(township, disposition code,
    count)`` rows."""
    counts: dict[str | None, Counter] = defaultdict(Counter)
    for township, code, n in rows:
        counts[township][category(code)] += n
    return {township: Dispositions(**{c: tallied.get(c, 0) for c in CATEGORIES})
            for township, tallied in counts.items()}


def _entry(township: str | None, counts: Dispositions, e: float | None) -> dict[str, Any]:
    return {"township": township, "counts": asdict(counts),
            **outcome_rates(counts, e).to_dict()}


def poll_outcome_rates(session: Session, poll_id: int, e: float | None = None) -> dict[str, Any]:
    """``{"poll_id", "e_given", "townships": [...], "overall": {...}, "unassigned"}``;
    NotFound (no poll), ValidationFailed for an ``e`` outside [0, 1]."""
    poll = get_or_404(session, Poll, poll_id)
    counts = tally(session.execute(
        select(Interview.township, Interview.disposition, func.count())
        .where(Interview.poll_id == poll.id)
        .group_by(Interview.township, Interview.disposition)))
    try:
        townships = [_entry(t.township, counts.get(t.township, Dispositions()), e)
                     for t in poll.townships]
        total = _entry(None, Dispositions.total(counts.values()), e)
    except EstimationError as exc:
        raise ValidationFailed(exc.message, exc.errors) from None
    return {"poll_id": poll.id, "e_given": e, "townships": townships, "overall": total,
            "unassigned": sum(asdict(counts.get(None, Dispositions())).values())}


def outcome_table(session: Session, poll_id: int,
                  e: float | None = None) -> tuple[list[str], list[list[Any]]]:
    """``poll_outcome_rates`` as a spreadsheet: a row per township and one ``ALL``."""
    result = poll_outcome_rates(session, poll_id, e)
    names = list(result["overall"]["rates"])
    header = ["township", *CATEGORIES, *names, "e", "e_method"]
    rows = []
    for entry in [*result["townships"], {**result["overall"], "township": "ALL"}]:
        rows.append([entry["township"], *(entry["counts"][c] for c in CATEGORIES),
                     *(entry["rates"][n] for n in names), entry["e"], entry["e_method"]])
    return header, rows
