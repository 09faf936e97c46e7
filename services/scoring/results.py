"""Reading a run's results: ranking tables, a unit's breakdown, comparisons, exports.

Breakdown: the composite is the sum of the indicators' contributions (the engine splits
each node's score down the tree by w·v shares). What pulled a unit up or down is its
contribution minus the mean contribution of that indicator in its peer group; these
pulls add up to (composite − group mean composite).

Vertical comparison: the same unit in the previous run of the same kind and scheme
(:func:`previous_run`). Horizontal: the unit against its peer group (mean, best, gap,
units just above and below).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring.engine.pipeline import SENSITIVITY_NORMALISATIONS, SENSITIVITY_WEIGHTINGS
from services.scoring.engine.scheme import BLEND_ROOT, DAY_TO_DAY
from services.scoring.models.runs import ScoreResult, ScoreRun
from services.scoring.models.schemes import SchemeVersion
from services.scoring.periods import parse_period
from services.scoring.scheme_document import indicators
from shared.auth import Principal
from shared.errors import NotFound

RESULT_FIELDS = ("unit", "peer_group", "composite", "rank", "group_size", "composite_lo",
                 "composite_hi", "rank_lo", "rank_hi", "p_top_k", "p_advanced", "advanced",
                 "near_cutoff", "credibility", "flags", "indicators", "nodes", "segments",
                 "missing")
RANKING_COLUMNS = ("peer_group", "rank", "unit", "name_zh", "name_en", "composite",
                   "composite_lo", "composite_hi", "rank_lo", "rank_hi", "p_top_k",
                   "p_advanced", "advanced", "near_cutoff", "flags", "previous_composite",
                   "previous_rank", "composite_change", "rank_change")


def result_dict(result: ScoreResult) -> dict[str, Any]:
    """A stored result as the record the computation made (what ``results_sha256``
    hashes)."""
    return {name: getattr(result, name) for name in RESULT_FIELDS}


def previous_run(session: Session, run: ScoreRun, published_only: bool) -> ScoreRun | None:
    """The latest run of the same kind and scheme for the closest earlier period
    (published ones first) — what a vertical comparison compares with."""
    version = session.get(SchemeVersion, run.scheme_version_id or -1)
    if version is None:
        return None
    query = (select(ScoreRun.id, ScoreRun.period, ScoreRun.state)
             .join(SchemeVersion, ScoreRun.scheme_version_id == SchemeVersion.id)
             .where(ScoreRun.kind == run.kind, ScoreRun.id != run.id,
                    SchemeVersion.scheme_id == version.scheme_id))
    if published_only:
        query = query.where(ScoreRun.state == "published")
    start = parse_period(run.period)[1]
    earlier = [r for r in session.execute(query) if parse_period(r.period)[1] < start]
    if not earlier:
        return None
    best = max(earlier, key=lambda r: (parse_period(r.period)[1], r.state == "published", r.id))
    return session.get(ScoreRun, best.id)


def _names(run: ScoreRun) -> dict[str, dict[str, Any]]:
    return {u["code"]: u for u in run.inputs["units"]}


def _leaves(run: ScoreRun) -> dict[str, dict[str, Any]]:
    """Indicator id → its definition (with ``path`` of ancestor ids) in the scheme."""
    out = {leaf["id"]: leaf for leaf in indicators(run.inputs["scheme_version"]["document"])}
    blend = run.method.get("blend")
    if blend:
        out[DAY_TO_DAY] = {"name_zh": "平时考评（" + "、".join(blend["day_to_day_periods"]) + "）",
                           "name_en": "Day-to-day results (" +
                                      ", ".join(blend["day_to_day_periods"]) + ")",
                           "source": "run", "path": [BLEND_ROOT]}
    return out


def _scoped(principal: Principal | None) -> str | None:
    return principal.unit if principal is not None and principal.role == "unit" else None


def ranking(session: Session, run: ScoreRun, group: str | None = None,
            principal: Principal | None = None) -> list[dict[str, Any]]:
    """Rows by peer group and rank, with the vertical comparison. A unit token gets only
    its own row; an unknown group is a NotFound."""
    results = sorted(run.results, key=lambda r: (r.peer_group, r.rank, r.unit))
    if group is not None:
        results = [r for r in results if r.peer_group == group]
        if not results:
            raise NotFound(f"Run {run.id} has no peer group {group!r}")
    scope = _scoped(principal)
    if scope is not None:
        results = [r for r in results if r.unit == scope]
    names = _names(run)
    previous = previous_run(session, run, published_only=scope is not None
                            or run.state == "published")
    before = {r.unit: r for r in previous.results} if previous else {}
    rows = []
    for r in results:
        old = before.get(r.unit)
        row = {"run_id": run.id, "period": run.period, "peer_group": r.peer_group,
               "rank": r.rank, "group_size": r.group_size, "unit": r.unit,
               "name_zh": names[r.unit]["name_zh"], "name_en": names[r.unit]["name_en"],
               "composite": r.composite, "composite_lo": r.composite_lo,
               "composite_hi": r.composite_hi, "rank_lo": r.rank_lo, "rank_hi": r.rank_hi,
               "p_top_k": r.p_top_k, "p_advanced": r.p_advanced, "advanced": r.advanced,
               "near_cutoff": r.near_cutoff, "flags": list(r.flags or []),
               "previous_run_id": previous.id if previous else None,
               "previous_composite": old.composite if old else None,
               "previous_rank": old.rank if old else None,
               "composite_change": _diff(r.composite, old.composite if old else None),
               "rank_change": (old.rank - r.rank) if old else None}
        rows.append(row)
    return rows


def _diff(new: float | None, old: float | None) -> float | None:
    return None if new is None or old is None else new - old


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return math.fsum(values) / len(values) if values else None


def breakdown(session: Session, run: ScoreRun, code: str,
              principal: Principal | None = None) -> dict[str, Any]:
    """One unit's composite explained; NotFound for a unit not in the run (or, for a
    unit token, any unit but its own)."""
    scope = _scoped(principal)
    by_unit = {r.unit: r for r in run.results}
    if code not in by_unit or (scope is not None and scope != code):
        raise NotFound(f"Unit {code!r} is not in run {run.id}")
    me = by_unit[code]
    peers = [r for r in run.results if r.peer_group == me.peer_group]
    leaves = _leaves(run)
    indicators = []
    for ind, cell in me.indicators.items():
        group_mean = _mean([p.indicators.get(ind, {}).get("contribution") for p in peers])
        contribution = cell.get("contribution")
        leaf = leaves.get(ind, {})
        indicators.append({
            "indicator": ind, "name_zh": leaf.get("name_zh", ind),
            "name_en": leaf.get("name_en", ind), "path": leaf.get("path", []),
            "source": leaf.get("source", "direct"), "raw": cell.get("raw"),
            "se": cell.get("se"), "fields": cell.get("fields"),
            "shrinkage": cell.get("shrinkage"), "value": cell.get("value"),
            "normalised": cell.get("normalised"), "contribution": contribution,
            "group_mean_contribution": group_mean,
            "pull": _diff(contribution, group_mean)})
    indicators.sort(key=lambda i: -(i["pull"] or 0.0))
    group_mean = _mean([p.composite for p in peers])
    ordered = sorted(peers, key=lambda p: p.rank)
    position = ordered.index(me)
    horizontal = {
        "peer_group": me.peer_group, "group_size": me.group_size, "rank": me.rank,
        "group_mean": group_mean, "group_best": ordered[0].composite,
        "gap_to_best": _diff(me.composite, ordered[0].composite),
        "gap_to_mean": _diff(me.composite, group_mean),
        "above": _neighbour(ordered, position - 1), "below": _neighbour(ordered, position + 1),
    }
    previous = previous_run(session, run, published_only=scope is not None
                            or run.state == "published")
    old = next((r for r in previous.results if r.unit == code), None) if previous else None
    vertical = None
    if old is not None:
        vertical = {"run_id": previous.id, "period": previous.period, "kind": previous.kind,
                    "composite": old.composite, "rank": old.rank,
                    "composite_change": _diff(me.composite, old.composite),
                    "rank_change": old.rank - me.rank}
    names = _names(run)[code]
    total = math.fsum(i["contribution"] or 0.0 for i in indicators)
    return {
        "run_id": run.id, "period": run.period, "kind": run.kind, "state": run.state,
        "unit": code, "name_zh": names["name_zh"], "name_en": names["name_en"],
        "peer_group": me.peer_group, "composite": me.composite, "rank": me.rank,
        "composite_lo": me.composite_lo, "composite_hi": me.composite_hi,
        "rank_lo": me.rank_lo, "rank_hi": me.rank_hi, "p_top_k": me.p_top_k,
        "p_advanced": me.p_advanced, "advanced": me.advanced, "flags": me.flags,
        "credibility": me.credibility, "sum_of_contributions": total,
        "indicators": indicators, "nodes": me.nodes, "segments": me.segments,
        "missing": me.missing, "horizontal": horizontal, "vertical": vertical,
    }


def _neighbour(ordered, index) -> dict[str, Any] | None:
    if not 0 <= index < len(ordered):
        return None
    r = ordered[index]
    return {"unit": r.unit, "rank": r.rank, "composite": r.composite}


def sensitivity(run: ScoreRun, principal: Principal | None = None) -> dict[str, Any]:
    """The stored sensitivity report (the engine's ``Result.sensitivity``); NotFound naming
    the option when the run was computed without it. A unit token, as in the ranking, gets
    only its own unit's entries (the per-variant summaries stay county-wide)."""
    report = run.sensitivity
    if report is None:
        raise NotFound(f"Run {run.id} was computed without the 'sensitivity' option; start a "
                       "run with \"sensitivity\": true (kaoping score run --sensitivity) to get "
                       "its sensitivity report",
                       {"sensitivity": ["not requested for this run"]})
    scope = _scoped(principal)
    if scope is None:
        return report
    keep = [i for i, unit in enumerate(report["units"]) if unit == scope]
    return {
        "variants": {name: ({**variant, "rank": [variant["rank"][i] for i in keep]}
                            if "rank" in variant else variant)
                     for name, variant in report["variants"].items()},
        "units": [report["units"][i] for i in keep],
        "max_abs_shift_per_unit": [report["max_abs_shift_per_unit"][i] for i in keep],
    }


def sensitivity_rows(run: ScoreRun, report: dict[str, Any]
                     ) -> tuple[list[str], list[list[Any]]]:
    """A sensitivity report as a sheet: a row per unit with its peer group, the run's
    group rank, its largest move and its group rank under each variant the scheme could
    take, in the engine's order (skipped variants have no column)."""
    order = [f"normalisation={n}" for n in SENSITIVITY_NORMALISATIONS] + [
        f"weighting={w}" for w in SENSITIVITY_WEIGHTINGS]
    variants = [name for name in order if "rank" in report["variants"].get(name, {})]
    by_unit = {r.unit: r for r in run.results}
    columns = ["unit", "peer_group", "rank", "max_abs_shift",
               *(f"rank:{name}" for name in variants)]
    out = []
    for i, unit in enumerate(report["units"]):
        result = by_unit.get(unit)
        out.append([unit, result.peer_group if result else None,
                    result.rank if result else None, report["max_abs_shift_per_unit"][i],
                    *(report["variants"][name]["rank"][i] for name in variants)])
    return columns, out


def export_rows(run: ScoreRun, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Ranking rows as a sheet: the ranking columns, then one column per indicator's
    normalised score and contribution."""
    indicator_ids = sorted({i for r in run.results for i in r.indicators})
    columns = [*RANKING_COLUMNS, *(f"{kind}:{i}" for i in indicator_ids
                                   for kind in ("normalised", "contribution"))]
    by_unit = {r.unit: r for r in run.results}
    out = []
    for row in rows:
        cells = by_unit[row["unit"]].indicators
        values = [" ".join(row[c]) if c == "flags" else row[c] for c in RANKING_COLUMNS]
        for i in indicator_ids:
            values += [cells.get(i, {}).get("normalised"), cells.get(i, {}).get("contribution")]
        out.append(values)
    return columns, out
