"""Compute a score run from its input snapshot: pure, so a stored run re-runs bit for bit.

Each segment of the snapshot is scored by the engine under the scheme, *pruned* to the
indicators that have at least one value in that segment (a poll is not held every
quarter; a skipped source has no values) — the pruning is named in the method record.
A leaf restricted to unit ``kinds`` is excluded for peer groups with no unit of those
kinds (an engine override).

Monthly and quarterly runs are their single segment. Mid-year and year-end runs blend
day-to-day results with the snapshot assessment ("注重平时，淡化年终"):

    composite = w_d · D + w_s · S,   D = Σ_q v_q C_q / Σ_q v_q  (equal v_q by default)

with C_q the composites of the quarters (engine ``periods.combine``), S the period's own
assessment, and (w_d, w_s) a named weighting of the engine (``daily_70`` = 0.7/0.3 by
default). The blend is computed by the engine itself on a scheme whose root has two
children — ``day_to_day`` (D, not re-normalised) and the scheme's root (S) — so the
composite interval, rank interval, P(top k) and P(advanced) carry the sampling error
of both: D is drawn with se_D = √(Σ v_q² se_q²)/Σ v_q, se_q = (hi_q − lo_q)/(2 z) from
each quarter's Monte Carlo interval (quarters taken as independent), widened for its
correlation with S — the quarters and the snapshot read the same data — to
√(se_D² + 2 (w_s/w_d) se_D se_S), se_S from the snapshot scored alone (``_blend``;
docs/calibration.md).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from services.scoring.engine import EngineError, Scheme, Table, compute, from_document
from services.scoring.engine import periods as engine_periods
from services.scoring.engine.result import number
from services.scoring.engine.scheme import BLEND_ROOT, DAY_TO_DAY
from services.scoring.scheme_document import nested_document
from shared.errors import ValidationFailed

DEFAULT_DRAWS = 2000
DEFAULT_ASSESSMENT_SHARE = 0.2


@dataclass
class Computed:
    rows: list[dict[str, Any]]
    method: dict[str, Any]
    results_sha256: str
    sensitivity: dict[str, Any] | None = None


def canonical_sha256(data: Any) -> str:
    """SHA-256 of canonical JSON (sorted keys, no spaces, floats by repr): a snapshot's
    ``inputs_sha256`` and its results' ``results_sha256``."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compute_snapshot(snapshot: dict[str, Any], options: dict[str, Any]) -> Computed:
    """Score a snapshot under run options (draws, level, seed, top_k, advanced,
    fay_herriot, credibility, period_weighting, sensitivity) over the scheme's ``engine``
    defaults; raise ValidationFailed with the engine's per-field errors. With
    ``sensitivity`` the final computation (the blend for mid-year and year-end runs)
    also carries the engine's sensitivity report."""
    segments = snapshot["segments"]
    scheme = _scheme(snapshot["scheme_version"]["document"], segments[0]["period"])
    units = snapshot["units"]
    engine_options = _engine_options(snapshot["kind"], options, scheme.options)
    segment_results = []
    segment_records = []
    for index, segment in enumerate(segments):
        if segment["role"] != "day_to_day":
            continue
        result, record = _score(scheme, units, segment, _seed(options["seed"], index + 1),
                                {**engine_options, "advanced_seats": None,
                                 "advanced_share": None})
        segment_results.append((segment["period"], result))
        segment_records.append(record)
    final_segment = next(s for s in segments if s["role"] == "snapshot")
    blend = None
    if segment_results:
        snapshot_se = _snapshot_se(scheme, units, final_segment,
                                   _seed(options["seed"], len(segments) + 1), engine_options)
        final_segment, scheme, blend = _blend(scheme, units, final_segment, segment_results,
                                              options, engine_options, snapshot_se)
    final_options = engine_options
    if options.get("sensitivity"):
        # The variants change the scheme's methods, not the stated period blend.
        final_options = {**engine_options, "sensitivity": True,
                         "pinned": (BLEND_ROOT, DAY_TO_DAY) if blend else ()}
    result, record = _score(scheme, units, final_segment, options["seed"], final_options)
    rows = _rows(result, units, final_segment, segment_results)
    method = {
        "kind": snapshot["kind"], "period": snapshot["period"],
        "scheme_version": {k: snapshot["scheme_version"][k]
                           for k in ("id", "scheme", "version")},
        "sources": snapshot["sources"],
        "inputs": INPUT_RULES,
        "segments": segment_records,
        "blend": blend,
        "final": record,
        "warnings": [f"{r['period']}: {warning}" for r in [*segment_records, record]
                     for warning in r["engine"]["warnings"]],
    }
    return Computed(rows, method, canonical_sha256(rows), result.sensitivity)


INPUT_RULES = {
    "poll": "each poll's estimate of the leaf's statistic (its question, else the "
            "first question with it); several polls pooled by inverse variance; "
            "a rate of 0 or 1 (design SE 0) gets the Agresti-Coull SE",
    "inspection": "mean visit score in the period window, se = s/sqrt(n) with s the "
                  "unit's visit-score SD moderated toward the window's common spread "
                  "(empirical Bayes, Smyth 2004; one visit: the common spread), "
                  "times the moderated t's SD sqrt(nu/(nu-2)); "
                  "discrepancy rates of the same window",
    "self_check": "mean over the period's months of the current version of each "
                  "reported field; a ratio reads the ratio of the means",
    "key_task": "on-time milestone rate and progress lag of the period",
    "instruction": "on-time closure rate of the instructions due in the period, per "
                   "responsible unit",
    "direct": "the value imported for the period, else the mean of its months",
}


def _scheme(document: dict[str, Any], period: str) -> Scheme:
    """The engine's scheme of a stored document; ValidationFailed (prefixed by the first
    segment's period) when the engine refuses it."""
    try:
        return from_document(nested_document(document))
    except EngineError as exc:
        raise ValidationFailed(f"{period}: {exc.message}", exc.errors) from None


def _seed(seed: int, index: int) -> int:
    """A segment's own seed, derived from the run's seed (NumPy SeedSequence)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _engine_options(kind: str, options: dict[str, Any], engine: dict) -> dict[str, Any]:
    advanced = options.get("advanced") or {}
    seats, share = advanced.get("seats"), advanced.get("share")
    if seats is None and share is None and "advanced" not in engine \
            and kind in ("mid-year", "year-end"):
        share = DEFAULT_ASSESSMENT_SHARE
    return {"draws": options.get("draws", DEFAULT_DRAWS), "level": options.get("level", 0.9),
            "top_k": options.get("top_k", 3), "advanced_seats": seats,
            "advanced_share": share, "fay_herriot": options.get("fay_herriot"),
            "credibility": options.get("credibility")}


def _kinds_of_groups(units: list[dict]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for unit in units:
        kinds.setdefault(unit["peer_group"], set()).add(unit["kind"])
    return kinds


def _score(scheme: Scheme, units: list[dict], segment: dict, seed: int,
           engine_options: dict[str, Any]):
    """Score one segment under the scheme pruned to the indicators with a value in it,
    a leaf with ``kinds`` excluded for peer groups without such units."""
    present = {row[1] for row in segment["rows"] if row[3] is not None}
    pruned, removed = scheme.pruned(present)
    if pruned is None:
        raise ValidationFailed(f"No indicator has a value in {segment['period']}",
                               {"period": [segment["period"]]})
    pruned, excluded = pruned.excluding_kinds(_kinds_of_groups(units))
    try:
        table = _table(units, segment, [leaf.id for leaf in pruned.indicators])
        result = compute(pruned, table, seed=seed, **engine_options)
    except EngineError as exc:
        raise ValidationFailed(f"{segment['period']}: {exc.message}", exc.errors) from None
    result.method["absent_indicators"] = scheme.absent(present)
    record = {
        "period": segment["period"], "role": segment["role"], "seed": seed,
        "pruned": removed, "excluded_by_kind": excluded,
        "engine": result.method, "weights": result.weights, "ahp": result.ahp,
        "fay_herriot": {k: {key: v for key, v in fit.items() if key not in ("gamma", "mse")}
                        for k, fit in result.fay_herriot.items()},
        "seats": result.seats,
    }
    return result, record


def _table(units: list[dict], segment: dict, ids: list[str]) -> Table:
    known = set(ids)
    cells, fields = {}, {}
    for unit, ind, fld, value, se in segment["rows"]:
        if ind not in known:
            continue
        value = math.nan if value is None else value
        if fld:
            fields[(unit, ind, fld)] = value
        else:
            cells[(unit, ind)] = (value, math.nan if se is None else se)
    codes = [u["code"] for u in units]
    return Table.from_cells(codes, [u["peer_group"] for u in units], ids, cells, fields,
                            segment.get("discrepancy") or None)


def _snapshot_se(scheme: Scheme, units, segment, seed: int,
                 engine_options: dict[str, Any]) -> dict[str, float]:
    """Per unit, the SE of the snapshot's own composite, (hi − lo)/(2 z) of its Monte
    Carlo interval (empty without draws)."""
    if not engine_options["draws"]:
        return {}
    result, _record = _score(scheme, units, segment, seed,
                             {**engine_options, "advanced_seats": None, "advanced_share": None})
    z = float(norm.ppf(0.5 + engine_options["level"] / 2))
    unc = result.uncertainty
    return dict(zip(result.units, ((unc.composite_hi - unc.composite_lo) / (2 * z)).tolist(),
                    strict=True))


def _blend(scheme: Scheme, units, snapshot_segment, segment_results, options, engine_options,
           snapshot_se: dict[str, float]):
    """The blended scheme and the snapshot segment with the day-to-day column added.

    The quarters and the snapshot read the same visits and months, so D and S are
    strongly correlated (ρ ≈ 0.94 in docs/calibration.md), while the engine draws the
    day-to-day column independently of the snapshot's inputs. D is therefore drawn with
    se_D' = √(se_D² + 2 (w_s/w_d) se_D se_S), which gives the blend the variance
    (w_d se_D + w_s se_S)² of perfectly correlated D and S: an upper bound (ρ = 1)."""
    named = options.get("period_weighting") or engine_periods.DEFAULT_YEAR_END
    if named not in engine_periods.YEAR_END_WEIGHTS:
        raise ValidationFailed("Unknown period weighting", {
            "period_weighting": [f"one of {', '.join(sorted(engine_periods.YEAR_END_WEIGHTS))}"]})
    w_day, w_snap = engine_periods.YEAR_END_WEIGHTS[named]
    codes = [u["code"] for u in units]
    z = float(norm.ppf(0.5 + engine_options["level"] / 2))
    comps, ses = [], []
    for _period, result in segment_results:
        index = {u: i for i, u in enumerate(result.units)}
        order = [index[c] for c in codes]
        comps.append(result.composite[order])
        unc = result.uncertainty
        ses.append((unc.composite_hi - unc.composite_lo)[order] / (2 * z) if unc else
                   np.full(len(codes), np.nan))
    comps_a, ses_a = np.array(comps), np.array(ses)
    day = engine_periods.combine(comps_a)
    present = ~np.isnan(comps_a)
    counts = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.nansum(np.where(present, ses_a, 0.0) ** 2, axis=0)) / counts
    se = np.where((np.isnan(ses_a) & present).any(axis=0), np.nan, se)
    se_s = np.array([snapshot_se.get(c, 0.0) for c in codes])
    if w_day > 0:
        se = np.sqrt(se ** 2 + 2 * (w_snap / w_day) * se * np.nan_to_num(se_s))
    rows = [r for r in snapshot_segment["rows"]]
    for code, d, s in zip(codes, day.tolist(), se.tolist(), strict=True):
        if not math.isnan(d):
            rows.append([code, DAY_TO_DAY, "", d, None if math.isnan(s) else s])
    segment = {**snapshot_segment, "rows": rows}
    try:
        blended = scheme.blended(w_day, w_snap)
    except EngineError as exc:
        raise ValidationFailed(exc.message, exc.errors) from None
    blend = {"named_weighting": named, "day_to_day": w_day, "snapshot": w_snap,
             "day_to_day_periods": [p for p, _r in segment_results],
             "day_to_day_period_weights": "equal (engine periods.combine)",
             "snapshot_period": snapshot_segment["period"],
             "day_to_day_se": "sqrt(se_D^2 + 2 (w_s/w_d) se_D se_S), se_D = "
                              "sqrt(sum se_q^2)/n_q, se_q = (hi_q - lo_q)/(2 z) from each "
                              "quarter's Monte Carlo interval (quarters independent), se_S "
                              "the same of the snapshot's own composite: D and S taken as "
                              "perfectly correlated (an upper bound; they read the same data)",
             "formula": f"composite = {w_day}*day_to_day + {w_snap}*{scheme.root.id}"}
    return segment, blended, blend


def _rows(result, units, segment, segment_results) -> list[dict[str, Any]]:
    """One JSON-ready record per unit (by code): what ScoreResult stores."""
    raw: dict[tuple[str, str], dict[str, Any]] = {}
    for unit, ind, fld, value, se in segment["rows"]:
        cell = raw.setdefault((unit, ind), {})
        if fld:
            cell.setdefault("fields", {})[fld] = value
        else:
            cell["raw"], cell["se"] = value, se
    position = {u: i for i, u in enumerate(result.units)}
    seg_pos = [({u: i for i, u in enumerate(r.units)}, p, r) for p, r in segment_results]
    unc = result.uncertainty
    out = []
    for unit in sorted(u["code"] for u in units):
        i = position[unit]
        indicators = {}
        for j, ind in enumerate(result.indicators):
            cell = raw.get((unit, ind), {})
            indicators[ind] = {"raw": cell.get("raw"), "se": cell.get("se"),
                               **({"fields": cell["fields"]} if "fields" in cell else {}),
                               "value": number(result.values[i, j]),
                               "normalised": number(result.normalised[i, j]),
                               "contribution": number(result.contributions[i, j])}
            fit = result.fay_herriot.get(ind)
            if fit is not None and not math.isnan(fit["gamma"][i]):
                indicators[ind]["shrinkage"] = {"gamma": number(fit["gamma"][i]),
                                                "mse": number(fit["mse"][i])}
        near = bool(unc.near_cutoff[i]) if unc is not None and unc.near_cutoff is not None \
            else False
        credibility = number(result.credibility[i]) if result.credibility is not None else None
        flags = []
        if near:
            flags.append("near_cutoff")
        if result.missing[i]:
            flags.append("missing_data")
        if credibility is not None and credibility < 1:
            flags.append("self_check_discounted")
        out.append({
            "unit": unit, "peer_group": result.groups[i],
            "composite": number(result.composite[i]), "rank": int(result.rank[i]),
            "group_size": int(result.group_size[i]),
            "composite_lo": number(unc.composite_lo[i]) if unc else None,
            "composite_hi": number(unc.composite_hi[i]) if unc else None,
            "rank_lo": int(unc.rank_lo[i]) if unc else None,
            "rank_hi": int(unc.rank_hi[i]) if unc else None,
            "p_top_k": number(unc.p_top_k[i]) if unc else None,
            "p_advanced": number(unc.p_advanced[i]) if unc and unc.p_advanced is not None
            else None,
            "advanced": bool(result.advanced[i]) if result.advanced is not None else None,
            "near_cutoff": near, "credibility": credibility, "flags": flags,
            "indicators": indicators,
            "nodes": {n: number(s[i]) for n, s in result.node_scores.items()},
            "segments": {p: number(r.composite[pos[unit]]) for pos, p, r in seg_pos},
            "missing": result.missing[i],
        })
    return out
