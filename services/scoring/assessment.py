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
each quarter's Monte Carlo interval (quarters taken as independent).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from services.scoring.engine import EngineError, Table, compute, from_document
from services.scoring.engine import periods as engine_periods
from services.scoring.run_inputs import canonical_sha256
from services.scoring.scheme_document import scheme_tree
from shared.errors import ValidationFailed

BLEND_ROOT = "assessment"
DAY_TO_DAY = "day_to_day"
DEFAULT_DRAWS = 2000
DEFAULT_ASSESSMENT_SHARE = 0.2


@dataclass
class Computed:
    rows: list[dict[str, Any]]
    method: dict[str, Any]
    results_sha256: str
    sensitivity: dict[str, Any] | None = None


def compute_snapshot(snapshot: dict[str, Any], options: dict[str, Any]) -> Computed:
    """Score a snapshot under run options (draws, level, seed, top_k, advanced,
    fay_herriot, credibility, period_weighting, sensitivity) over the scheme's ``engine``
    defaults; raise ValidationFailed with the engine's per-field errors. With
    ``sensitivity`` the final computation (the blend for mid-year and year-end runs)
    also carries the engine's sensitivity report."""
    document = nested_document(snapshot["scheme_version"]["document"])
    units = snapshot["units"]
    engine_options = _engine_options(snapshot["kind"], options, document)
    segment_results = []
    segment_records = []
    for index, segment in enumerate(snapshot["segments"]):
        if segment["role"] != "day_to_day":
            continue
        result, record = _score(document, units, segment, _seed(options["seed"], index + 1),
                                {**engine_options, "advanced_seats": None,
                                 "advanced_share": None})
        segment_results.append((segment["period"], result))
        segment_records.append(record)
    final_segment = next(s for s in snapshot["segments"] if s["role"] == "snapshot")
    blend = None
    if segment_results:
        final_segment, blend_doc, blend = _blend(document, units, final_segment,
                                                 segment_results, options, engine_options)
        document = blend_doc
    final_options = engine_options
    if options.get("sensitivity"):
        # The variants change the scheme's methods, not the stated period blend.
        final_options = {**engine_options, "sensitivity": True,
                         "pinned": (BLEND_ROOT, DAY_TO_DAY) if blend else ()}
    result, record = _score(document, units, final_segment, options["seed"], final_options)
    rows = _rows(result, units, final_segment, segment_results)
    method = {
        "kind": snapshot["kind"], "period": snapshot["period"],
        "scheme_version": {k: snapshot["scheme_version"][k]
                           for k in ("id", "scheme", "version")},
        "sources": snapshot["sources"],
        "inputs": {
            "poll": "each poll's estimate of the leaf's statistic (its question, else the "
                    "first question with it); several polls pooled by inverse variance; "
                    "a rate of 0 or 1 (design SE 0) gets the Agresti-Coull SE",
            "inspection": "mean visit score in the period window, se = sd/sqrt(n); a unit "
                          "with one visit takes the pooled within-unit SD of the window; "
                          "discrepancy rates of the same window",
            "self_check": "mean over the period's months of the current version of each "
                          "reported field; a ratio reads the ratio of the means",
            "key_task": "on-time milestone rate and progress lag of the period",
            "direct": "the value imported for the period, else the mean of its months",
        },
        "segments": segment_records,
        "blend": blend,
        "final": record,
        "warnings": [f"{r['period']}: {warning}" for r in [*segment_records, record]
                     for warning in r["engine"]["warnings"]],
    }
    return Computed(rows, method, canonical_sha256(rows), result.sensitivity)


def nested_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its tree under ``root`` (a flat ``nodes`` form converted)."""
    if "nodes" not in document:
        return document
    rest = {k: v for k, v in document.items() if k != "nodes"}
    return {**rest, "root": scheme_tree(document)}


def _seed(seed: int, index: int) -> int:
    """A segment's own seed, derived from the run's seed (NumPy SeedSequence)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _engine_options(kind: str, options: dict[str, Any], document: dict) -> dict[str, Any]:
    advanced = options.get("advanced") or {}
    engine = document.get("engine") or {}
    seats, share = advanced.get("seats"), advanced.get("share")
    if seats is None and share is None and "advanced" not in engine \
            and kind in ("mid-year", "year-end"):
        share = DEFAULT_ASSESSMENT_SHARE
    return {"draws": options.get("draws", DEFAULT_DRAWS), "level": options.get("level", 0.9),
            "top_k": options.get("top_k", 3), "advanced_seats": seats,
            "advanced_share": share, "fay_herriot": options.get("fay_herriot"),
            "credibility": options.get("credibility")}


def _score(document: dict, units: list[dict], segment: dict, seed: int,
           engine_options: dict[str, Any]):
    present = {row[1] for row in segment["rows"] if row[3] is not None}
    doc, pruned = prune(document, present)
    if doc is None:
        raise ValidationFailed(f"No indicator has a value in {segment['period']}",
                               {"period": [segment["period"]]})
    doc, excluded = exclude_by_kind(doc, units)
    try:
        scheme = from_document(doc)
        ids = [leaf.id for leaf in scheme.indicators]
        table = _table(units, segment, ids)
        result = compute(scheme, table, seed=seed, **engine_options)
    except EngineError as exc:
        raise ValidationFailed(f"{segment['period']}: {exc.message}", exc.errors) from None
    result.method["absent_indicators"] = absent_indicators(document, present)
    record = {
        "period": segment["period"], "role": segment["role"], "seed": seed,
        "pruned": pruned, "excluded_by_kind": excluded,
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


def prune(document: dict, keep: set[str]) -> tuple[dict | None, list[str]]:
    """The document without the leaves not in ``keep`` (and nodes left empty); AHP
    matrices lose the rows and columns of removed children, overrides their references.
    Returns (document or None when nothing is left, removed ids)."""
    doc = copy.deepcopy(document)
    removed: list[str] = []

    def walk(node: dict) -> dict | None:
        if "children" not in node:
            if node["id"] in keep:
                return node
            removed.append(node["id"])
            return None
        kept_index = []
        children = []
        for i, child in enumerate(node["children"]):
            out = walk(child)
            if out is not None:
                kept_index.append(i)
                children.append(out)
        if not children:
            removed.append(node["id"])
            return None
        weighting = node.get("weighting")
        if isinstance(weighting, dict) and weighting.get("method") == "ahp":
            matrix = weighting["matrix"]
            weighting["matrix"] = [[matrix[i][j] for j in kept_index] for i in kept_index]
        node["children"] = children
        return node

    doc["root"] = walk(doc["root"])
    if doc["root"] is None:
        return None, removed
    gone = set(removed)
    for override in doc.get("overrides") or []:
        for key in ("weights", "normalisation"):
            if isinstance(override.get(key), dict):
                override[key] = {k: v for k, v in override[key].items() if k not in gone}
        if override.get("exclude"):
            override["exclude"] = [k for k in override["exclude"] if k not in gone]
    return doc, removed


def absent_indicators(document: dict, present: set[str]) -> list[str]:
    """The indicators (leaves) of a nested document without a value in ``present``:
    what pruning removed, recorded as the method's ``absent_indicators``."""
    def walk(node: dict) -> list[str]:
        if "children" not in node:
            return [] if node["id"] in present else [node["id"]]
        return [leaf for child in node["children"] for leaf in walk(child)]

    return walk(document["root"])


def exclude_by_kind(document: dict, units: list[dict]) -> tuple[dict, dict[str, list[str]]]:
    """Exclude a leaf with ``kinds`` for every peer group none of whose units has one
    of those kinds (e.g. a township poll for department groups)."""
    kinds_of_group: dict[str, set[str]] = {}
    for unit in units:
        kinds_of_group.setdefault(unit["peer_group"], set()).add(unit["kind"])
    doc = copy.deepcopy(document)
    overrides = doc.setdefault("overrides", [])
    by_group = {o.get("peer_group"): o for o in overrides}
    excluded: dict[str, list[str]] = {}

    def walk(node: dict) -> None:
        for child in node.get("children", []):
            walk(child)
        kinds = node.get("kinds")
        if "children" in node or not kinds:
            return
        for group, present in sorted(kinds_of_group.items()):
            if present & set(kinds):
                continue
            override = by_group.get(group)
            if override is None:
                override = by_group[group] = {"peer_group": group}
                overrides.append(override)
            if node["id"] not in (override.get("exclude") or []):
                override["exclude"] = [*(override.get("exclude") or []), node["id"]]
                excluded.setdefault(group, []).append(node["id"])

    walk(doc["root"])
    return doc, excluded


def _blend(document, units, snapshot_segment, segment_results, options, engine_options):
    """The blend scheme and the snapshot segment with the day-to-day column added."""
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
    rows = [r for r in snapshot_segment["rows"]]
    for code, d, s in zip(codes, day.tolist(), se.tolist(), strict=True):
        if not math.isnan(d):
            rows.append([code, DAY_TO_DAY, "", d, None if math.isnan(s) else s])
    segment = {**snapshot_segment, "rows": rows}
    root = document["root"]
    if root["id"] in (BLEND_ROOT, DAY_TO_DAY):
        raise ValidationFailed("The scheme's root id is reserved by runs",
                               {"root.id": [f"{BLEND_ROOT} and {DAY_TO_DAY} are reserved"]})
    blend_doc = {**copy.deepcopy(document), "root": {
        "id": BLEND_ROOT, "aggregation": "arithmetic", "weighting": {"method": "expert"},
        "children": [
            {"id": DAY_TO_DAY, "source": "direct", "direction": "higher",
             "unit_of_measure": "points", "normalisation": {"method": "none"},
             "weight": w_day},
            {**copy.deepcopy(root), "weight": w_snap}]}}
    blend = {"named_weighting": named, "day_to_day": w_day, "snapshot": w_snap,
             "day_to_day_periods": [p for p, _r in segment_results],
             "day_to_day_period_weights": "equal (engine periods.combine)",
             "snapshot_period": snapshot_segment["period"],
             "day_to_day_se": "sqrt(sum se_q^2)/n_q, se_q = (hi_q - lo_q)/(2 z) from each "
                              "quarter's Monte Carlo interval; quarters taken as independent",
             "formula": f"composite = {w_day}*day_to_day + {w_snap}*{root['id']}"}
    return segment, blend_doc, blend


def _num(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


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
                               "value": _num(result.values[i, j]),
                               "normalised": _num(result.normalised[i, j]),
                               "contribution": _num(result.contributions[i, j])}
            fit = result.fay_herriot.get(ind)
            if fit is not None and not math.isnan(fit["gamma"][i]):
                indicators[ind]["shrinkage"] = {"gamma": _num(fit["gamma"][i]),
                                                "mse": _num(fit["mse"][i])}
        near = bool(unc.near_cutoff[i]) if unc is not None and unc.near_cutoff is not None \
            else False
        credibility = _num(result.credibility[i]) if result.credibility is not None else None
        flags = []
        if near:
            flags.append("near_cutoff")
        if result.missing[i]:
            flags.append("missing_data")
        if credibility is not None and credibility < 1:
            flags.append("self_check_discounted")
        out.append({
            "unit": unit, "peer_group": result.groups[i],
            "composite": _num(result.composite[i]), "rank": int(result.rank[i]),
            "group_size": int(result.group_size[i]),
            "composite_lo": _num(unc.composite_lo[i]) if unc else None,
            "composite_hi": _num(unc.composite_hi[i]) if unc else None,
            "rank_lo": int(unc.rank_lo[i]) if unc else None,
            "rank_hi": int(unc.rank_hi[i]) if unc else None,
            "p_top_k": _num(unc.p_top_k[i]) if unc else None,
            "p_advanced": _num(unc.p_advanced[i]) if unc and unc.p_advanced is not None
            else None,
            "advanced": bool(result.advanced[i]) if result.advanced is not None else None,
            "near_cutoff": near, "credibility": credibility, "flags": flags,
            "indicators": indicators,
            "nodes": {n: _num(s[i]) for n, s in result.node_scores.items()},
            "segments": {p: _num(r.composite[pos[unit]]) for pos, p, r in seg_pos},
            "missing": result.missing[i],
        })
    return out
