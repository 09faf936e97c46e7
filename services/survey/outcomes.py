"""AAPOR outcome rates of a poll per township and overall, from the stored dispositions.

Counts come from each sample member's disposition category (``DISPOSITIONS``); the
rates are ``services.survey.estimation.outcome_rates`` (RR1–RR6, COOP1–4, REF1–3,
CON1–3). ``e`` is the caller's or, by default, estimated from the resolved cases.
Sample members not yet tied to a township (an unbound web link never opened) count
only in the overall rates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.errors import ValidationFailed

from .estimation import Dispositions, EstimationError, outcome_rates
from .interviews import DISPOSITIONS
from .models.interview import Interview
from .models.poll import Poll

CATEGORIES = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")


def disposition_counts(session: Session, poll: Poll) -> dict[str | None, Counter]:
    """{township (None = unassigned): Counter of AAPOR categories}."""
    counts: dict[str | None, Counter] = defaultdict(Counter)
    for township, code, n in session.execute(
            select(Interview.township, Interview.disposition, func.count())
            .where(Interview.poll_id == poll.id)
            .group_by(Interview.township, Interview.disposition)):
        counts[township][DISPOSITIONS[code].category] += n
    return counts


def _entry(township: str | None, tally: Counter, e: float | None) -> dict[str, Any]:
    dispositions = Dispositions(**{c: tally.get(c, 0) for c in CATEGORIES})
    rates = outcome_rates(dispositions, e)
    return {"township": township, "counts": {c: tally.get(c, 0) for c in CATEGORIES},
            **rates.to_dict()}


def poll_outcome_rates(session: Session, poll: Poll, e: float | None = None) -> dict[str, Any]:
    """``{"poll_id", "e_given", "townships": [...], "overall": {...}, "unassigned"}``."""
    counts = disposition_counts(session, poll)
    try:
        townships = [_entry(t.township, counts.get(t.township, Counter()), e)
                     for t in poll.townships]
        total = Counter()
        for tally in counts.values():
            total.update(tally)
        overall = _entry(None, total, e)
    except EstimationError as exc:
        raise ValidationFailed(exc.message, exc.errors) from None
    return {"poll_id": poll.id, "e_given": e, "townships": townships, "overall": overall,
            "unassigned": sum(counts.get(None, Counter()).values())}


def outcome_table(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    names = list(result["overall"]["rates"])
    header = ["township", *CATEGORIES, *names, "e", "e_method"]
    rows = []
    for entry in [*result["townships"], {**result["overall"], "township": "ALL"}]:
        rows.append([entry["township"], *(entry["counts"][c] for c in CATEGORIES),
                     *(entry["rates"][n] for n in names), entry["e"], entry["e_method"]])
    return header, rows
