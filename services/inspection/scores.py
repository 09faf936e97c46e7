"""Visit scores and unit aggregates: pure functions, no Flask, no database.

Rule ``insp-score-v1``:

- item score s and maximum m: pass/fail and measurement items score 1 (pass) or 0
  (fail) of m = 1; points items score their points of m = ``max_points``; text items
  and N/A answers are not applicable and drop out of both sums;
- visit score = 100 · Σ w·s / Σ w·m over applicable items (None when none apply);
- a critical item that failed (result fail, or 0 points) caps the visit score at the
  template's ``critical_cap``: score = min(raw, cap);
- a measurement is discrepant when |inspected − self-reported| > tolerance
  (absolute), or > tolerance · |self-reported| (relative); without an explicit result
  it passes when not discrepant.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

RULE_VERSION = "insp-score-v1"


@dataclass(frozen=True)
class ItemRule:
    """What scoring needs to know about a checklist item."""

    item_id: str
    weight: float
    response_type: str
    max_points: float | None = None
    tolerance: float | None = None
    tolerance_kind: str | None = None
    critical: bool = False


@dataclass
class ItemOutcome:
    item_id: str
    score: float | None
    max_score: float | None
    failed: bool
    discrepant: bool | None
    result: str | None


@dataclass
class VisitScore:
    score: float | None
    raw: float | None
    capped: bool
    failed_critical: list[str] = field(default_factory=list)
    items: dict[str, ItemOutcome] = field(default_factory=dict)


def is_discrepant(value: float, self_reported: float, tolerance: float, kind: str) -> bool:
    """True when the inspected value is outside the tolerance around the self-reported one."""
    allowed = tolerance * abs(self_reported) if kind == "relative" else tolerance
    return abs(value - self_reported) > allowed + 1e-12


def score_item(rule: ItemRule, answer: Mapping[str, Any]) -> ItemOutcome:
    """Score one answer; raise ValueError naming what is missing for this item type."""
    result = answer.get("result")
    if rule.response_type == "text" or result == "na":
        return ItemOutcome(rule.item_id, None, None, False, None, result)
    if rule.response_type == "pass_fail":
        if result not in ("pass", "fail"):
            raise ValueError("result must be pass, fail or na")
        return ItemOutcome(rule.item_id, float(result == "pass"), 1.0, result == "fail", None,
                           result)
    if rule.response_type == "points":
        points = answer.get("points")
        if points is None:
            raise ValueError("points are required (or result na)")
        if not 0 <= points <= rule.max_points:
            raise ValueError(f"points must be between 0 and {rule.max_points:g}")
        return ItemOutcome(rule.item_id, float(points), float(rule.max_points), points == 0,
                           None, result)
    return _score_measurement(rule, answer, result)


def _score_measurement(rule: ItemRule, answer: Mapping[str, Any], result: str | None):
    value, reported = answer.get("value"), answer.get("self_reported")
    if value is None:
        raise ValueError("a measured value is required (or result na)")
    discrepant = None
    if reported is not None:
        discrepant = is_discrepant(value, reported, rule.tolerance or 0.0,
                                   rule.tolerance_kind or "absolute")
    if result is None:
        if discrepant is None:
            raise ValueError("no self-reported value to compare with: give result pass or fail")
        result = "fail" if discrepant else "pass"
    if result not in ("pass", "fail"):
        raise ValueError("result must be pass, fail or na")
    return ItemOutcome(rule.item_id, float(result == "pass"), 1.0, result == "fail", discrepant,
                       result)


def score_visit(rules: Iterable[ItemRule], answers: Mapping[str, Mapping[str, Any]],
                critical_cap: float) -> VisitScore:
    """Score a visit; ``answers`` maps item id to its answer. Raises ValueError per item
    as ``{item_id: reason}`` in ``args[0]``."""
    rules = list(rules)
    outcomes, problems = {}, {}
    weighted = weighted_max = 0.0
    for rule in rules:
        try:
            outcome = score_item(rule, answers.get(rule.item_id, {}))
        except ValueError as exc:
            problems[rule.item_id] = str(exc)
            continue
        outcomes[rule.item_id] = outcome
        if outcome.score is not None:
            weighted += rule.weight * outcome.score
            weighted_max += rule.weight * outcome.max_score
    if problems:
        raise ValueError(problems)
    failed_critical = [r.item_id for r in rules if r.critical and outcomes[r.item_id].failed]
    raw = 100.0 * weighted / weighted_max if weighted_max > 0 else None
    score = raw
    if raw is not None and failed_critical:
        score = min(raw, critical_cap)
    return VisitScore(score, raw, bool(failed_critical), failed_critical, outcomes)


def summarise(values: list[float]) -> dict[str, Any]:
    """n, mean, sample SD (n−1 denominator; None when n < 2), min and max."""
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "min": None, "max": None}
    sd = statistics.stdev(values) if n >= 2 else None
    return {"n": n, "mean": math.fsum(values) / n, "sd": sd, "min": min(values),
            "max": max(values)}
