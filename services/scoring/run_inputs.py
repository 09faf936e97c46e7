"""What a score run reads, frozen into one JSON snapshot.

Sources: poll estimates from the survey service and inspection scores and discrepancy
rates from the inspection service (over HTTP with a ``service`` token, timeouts and
retries), and this service's own self-checks, key-task metrics, the instructions'
on-time closure rates and direct values.

A run of kind monthly or quarterly has one *segment*: its own period. A mid-year or
year-end run has the quarters of its period as day-to-day segments plus the period
itself as the snapshot segment (polls belong to the snapshot only). Each segment holds
long rows ``[unit, indicator, field, value, se]`` (``field`` "" for the value itself,
else a reported field a ratio transform reads) and the units' discrepancy rates.

A source that cannot be reached fails the run with 503 naming it (policy ``fail``),
or, with ``missing_source: skip``, is left out and named in the snapshot.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from services.scoring import direct_values, instructions, key_tasks, registry, self_checks
from services.scoring.engine import variance
from services.scoring.models.schemes import SchemeVersion
from services.scoring.periods import months_in, parse_period
from services.scoring.scheme_document import indicators
from shared.client import ServiceClient, peer_client
from shared.errors import DependencyDown, ValidationFailed

SNAPSHOT_FORMAT = 1
PERIOD_KIND_OF_RUN = {"monthly": "month", "quarterly": "quarter", "mid-year": "half_year",
                      "year-end": "year"}
MISSING_SOURCE_POLICIES = ("fail", "skip")


@dataclass
class Sources:
    """Clients of the other services; None means the source is not configured."""

    survey: ServiceClient | None
    inspection: ServiceClient | None


def service_sources(survey_url: str, inspection_url: str, timeout: float,
                    retries: int) -> Sources:
    """Clients of the survey and inspection services with a short-lived ``service``
    token; ``timeout`` in seconds per request, ``retries`` of a failed GET (the service
    passes ``SURVEY_URL``, ``INSPECTION_URL``, ``SCORING_SOURCE_TIMEOUT`` and
    ``SCORING_SOURCE_RETRIES``)."""
    options = {"ttl": 600, "timeout": timeout, "retries": retries}
    return Sources(peer_client("scoring", "survey", url=survey_url, **options),
                   peer_client("scoring", "inspection", url=inspection_url, **options))


def segment_periods(kind: str, period: str) -> list[tuple[str, str]]:
    """``[(period, role)]``: role ``day_to_day`` or ``snapshot``; raise ValidationFailed
    when the period code does not fit the kind."""
    period_kind, start, end = parse_period(period)
    if PERIOD_KIND_OF_RUN.get(kind) != period_kind:
        raise ValidationFailed(f"A {kind} run needs a {PERIOD_KIND_OF_RUN.get(kind)} period",
                               {"period": [f"{period!r} is a {period_kind}"]})
    if kind in ("monthly", "quarterly"):
        return [(period, "snapshot")]
    quarters = [f"{start.year}-Q{q}" for q in range((start.month + 2) // 3, end.month // 3 + 1)]
    return [*((q, "day_to_day") for q in quarters), (period, "snapshot")]


def collect(session: Session, version: SchemeVersion, kind: str, period: str,
            polls: list[int], missing_source: str, sources: Sources) -> dict[str, Any]:
    """Read every input of a run into a JSON-ready snapshot (see the module docstring).

    Raises ValidationFailed (period, no units), DependencyDown (policy ``fail``) and
    ServiceError (a source answered 4xx, e.g. an unknown poll).
    """
    segments = segment_periods(kind, period)
    _kind, start, end = parse_period(period)
    leaves = indicators(version.document)
    units = [u for u in registry.list_units(session)
             if u.peer_group is not None
             and (u.is_active_on(start) or u.is_active_on(end))]
    if not units:
        raise ValidationFailed("No active unit with a peer group in the period",
                               {"period": [period]})
    codes = {u.code for u in units}
    status: dict[str, Any] = {}
    pulled: dict[str, Any] = {}
    poll_rows = _polls(leaves, polls, codes, missing_source, sources, status, pulled)
    reader = _LocalReader(session, codes)
    out_segments = []
    for code, role in segments:
        rows: list[list[Any]] = []
        rows += reader.self_checks(code, leaves)
        rows += reader.key_tasks(code, leaves)
        rows += reader.instructions(code, leaves)
        rows += reader.direct(code, leaves)
        inspection, rates = _inspection(code, leaves, codes, missing_source, sources, status,
                                        pulled)
        rows += inspection
        if role == "snapshot":
            rows += poll_rows
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        _p_kind, seg_start, seg_end = parse_period(code)
        out_segments.append({"period": code, "role": role,
                             "window": [seg_start.isoformat(), seg_end.isoformat()],
                             "rows": rows, "discrepancy": dict(sorted(rates.items()))})
    snapshot = {
        "format": SNAPSHOT_FORMAT, "kind": kind, "period": period,
        "scheme_version": {"id": version.id, "scheme": version.scheme.code,
                           "version": version.version, "document": version.document},
        "registry": registry.registry_version(session),
        "units": [{"code": u.code, "kind": u.kind, "peer_group": u.peer_group.code,
                   "name_zh": u.name_zh, "name_en": u.name_en}
                  for u in sorted(units, key=lambda u: u.code)],
        "sources": status, "pulled": pulled, "segments": out_segments,
    }
    return json.loads(json.dumps(snapshot, default=str, ensure_ascii=False))


# -- this service's own data -------------------------------------------------------------

class _LocalReader:
    """Self-checks, key-task metrics and direct values, month lists cached."""

    def __init__(self, session: Session, codes: set[str]):
        self.session, self.codes = session, codes
        self._self_checks: dict[str, list[dict]] = {}
        self._direct: dict[str, list[dict]] = {}

    def _month_checks(self, month: str) -> list[dict]:
        if month not in self._self_checks:
            self._self_checks[month] = self_checks.current_values(self.session, period=month)
        return self._self_checks[month]

    def self_checks(self, period: str, leaves: list[dict]) -> list[list[Any]]:
        """Per unit and indicator: the mean over the period's months of each reported
        field (a ratio reads the ratio of the means, i.e. of the totals)."""
        wanted = {leaf["id"]: leaf for leaf in leaves if leaf["source"] == "self_check"}
        if not wanted:
            return []
        sums: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        for month in months_in(period):
            for row in self._month_checks(month):
                if row["indicator"] in wanted and row["unit"] in self.codes:
                    for fld in ("actual", "target"):
                        if row[fld] is not None:
                            sums[(row["unit"], row["indicator"], fld)].append(row[fld])
        out = []
        for (unit, ind, fld), values in sorted(sums.items()):
            leaf = wanted[ind]
            mean = math.fsum(values) / len(values)
            transform = leaf.get("transform") or {}
            if transform.get("kind") == "ratio":
                if fld in (transform.get("numerator"), transform.get("denominator")):
                    out.append([unit, ind, fld, mean, None])
            elif fld == leaf.get("field", "actual"):
                out.append([unit, ind, "", mean, None])
        return out

    def key_tasks(self, period: str, leaves: list[dict]) -> list[list[Any]]:
        wanted = [leaf for leaf in leaves if leaf["source"] == "key_task"]
        if not wanted:
            return []
        out = []
        for row in key_tasks.metrics(self.session, period):
            if row["unit"] not in self.codes:
                continue
            for leaf in wanted:
                value = row.get(leaf["metric"])
                if value is not None:
                    out.append([row["unit"], leaf["id"], "", float(value), None])
        return out

    def instructions(self, period: str, leaves: list[dict]) -> list[list[Any]]:
        """The on-time closure rate of the instructions due in the period per unit."""
        wanted = [leaf for leaf in leaves if leaf["source"] == "instruction"]
        if not wanted:
            return []
        out = []
        for row in instructions.metrics(self.session, period):
            if row["unit"] in self.codes:
                out.extend([row["unit"], leaf["id"], "",
                            float(row[leaf.get("metric", "on_time_closure_rate")]), None]
                           for leaf in wanted)
        return out

    def _period_direct(self, period: str) -> list[dict]:
        if period not in self._direct:
            self._direct[period] = direct_values.list_values(self.session, period=period)
        return self._direct[period]

    def direct(self, period: str, leaves: list[dict]) -> list[list[Any]]:
        """A value imported for the period itself, else the mean of its months' values."""
        wanted = {leaf["id"] for leaf in leaves if leaf["source"] == "direct"}
        if not wanted:
            return []
        own: dict[tuple[str, str], float] = {}
        monthly: dict[tuple[str, str], list[float]] = defaultdict(list)
        for row in self._period_direct(period):
            own[(row["unit"], row["indicator"])] = row["value"]
        months = months_in(period)
        if months != [period]:
            for month in months:
                for row in self._period_direct(month):
                    monthly[(row["unit"], row["indicator"])].append(row["value"])
        out = []
        for key in sorted(set(own) | set(monthly)):
            unit, ind = key
            if ind not in wanted or unit not in self.codes:
                continue
            value = own[key] if key in own else math.fsum(monthly[key]) / len(monthly[key])
            out.append([unit, ind, "", value, None])
        return out


# -- the other services ------------------------------------------------------------------

def fetch_source(client: ServiceClient | None, name: str, path: str, missing_source: str,
                 status: dict[str, Any], *, refused: str = "run",
                 advice: str = "run with") -> Any:
    """GET JSON from a source; on failure raise (``fail``: "Cannot ``refused``: …") or
    note the source as skipped in ``status`` and return None."""
    if client is None:
        error = DependencyDown(f"{name} service is not configured", {"service": [name]})
    else:
        try:
            return client.get_json(path)
        except DependencyDown as exc:
            error = exc
    if missing_source == "fail":
        raise DependencyDown(f"Cannot {refused}: the {name} service is unavailable "
                             f"({error.message}); retry later or {advice} missing_source "
                             "'skip'", {"service": [name]})
    status[name] = {"status": "skipped", "reason": error.message}
    return None


def _polls(leaves, polls, codes, missing_source, sources, status, pulled) -> list[list[Any]]:
    """Poll leaves' values per township: each poll's estimate of the leaf's statistic
    (and ``question``, else the first question that has it); several polls are pooled
    by inverse variance: θ = Σ θ_p/se_p² / Σ 1/se_p², se = (Σ 1/se_p²)^-½ (a rate of
    0 or 1 gets the Agresti–Coull SE, see :func:`usable_se`)."""
    wanted = [leaf for leaf in leaves if leaf["source"] == "poll"]
    if not wanted:
        return []
    if not polls:
        status["survey"] = {"status": "not requested", "polls": []}
        return []
    found: dict[tuple[str, str], list[tuple[float, float | None]]] = defaultdict(list)
    pulled["survey"] = {}
    for poll_id in polls:
        body = fetch_source(sources.survey, "survey", f"/api/v1/polls/{poll_id}/estimates",
                            missing_source, status)
        if body is None:
            return []
        kept = []
        for leaf in wanted:
            statistic = leaf.get("statistic", "satisfaction_rate")
            rows = [r for r in body.get("rows", []) if r.get("statistic") == statistic
                    and r.get("township") in codes and r.get("estimate") is not None
                    and (leaf.get("category") is None or r.get("category") == leaf["category"])]
            question = leaf.get("question") or (rows[0]["question"] if rows else None)
            for row in rows:
                if row["question"] == question:
                    found[(row["township"], leaf["id"])].append(
                        (row["estimate"], usable_se(row, statistic)))
                    kept.append(row)
        pulled["survey"][str(poll_id)] = {"method": body.get("method"), "rows": kept}
    status["survey"] = {"status": "ok", "polls": list(polls)}
    out = []
    for (unit, ind), estimates in sorted(found.items()):
        out.append([unit, ind, "", *_pool(estimates)])
    return out


def usable_se(row: dict[str, Any], statistic: str) -> float | None:
    """The row's SE; for a rate of exactly 0 or 1 (design SE 0) the Agresti–Coull SE
    √(p̃(1−p̃)/(n+4)), p̃ = (p·n + 2)/(n + 4), with n the effective sample size."""
    se, n = row.get("se"), row.get("n_eff") or row.get("n")
    if se is not None and se > 0:
        return se
    if statistic in ("satisfaction_rate", "proportion") and n:
        p = (row["estimate"] * n + 2) / (n + 4)
        return math.sqrt(p * (1 - p) / (n + 4))
    return None


def _pool(estimates: list[tuple[float, float | None]]) -> tuple[float, float | None]:
    if len(estimates) == 1:
        return estimates[0]
    if all(se is not None and se > 0 for _v, se in estimates):
        precision = [1.0 / se ** 2 for _v, se in estimates]
        total = math.fsum(precision)
        value = math.fsum(p * v for p, (v, _se) in zip(precision, estimates, strict=True)) / total
        return value, 1.0 / math.sqrt(total)
    return math.fsum(v for v, _se in estimates) / len(estimates), None


def pooled_sd(scores: list[dict[str, Any]]) -> float | None:
    """Pooled within-unit SD of visit scores, √(Σ (n_i − 1) s_i² / Σ (n_i − 1)) over units
    with n_i ≥ 2; what a unit with a single visit gets as its spread."""
    parts = [((r["n"] - 1), r["sd"]) for r in scores
             if (r.get("n") or 0) >= 2 and r.get("sd") is not None]
    dof = sum(d for d, _sd in parts)
    return math.sqrt(math.fsum(d * sd ** 2 for d, sd in parts) / dof) if dof else None


def visit_score_ses(scores: list[dict[str, Any]]) -> list[float | None]:
    """The SE of each unit's mean visit score, s̃_i/√n_i, in the order of ``scores``
    (rows with ``n``, ``sd``). s̃_i² is the unit's visit-score variance squeezed toward
    the window's common spread by empirical Bayes (engine ``variance.squeeze``, Smyth
    2004): a unit with one visit takes the prior s₀², one with many visits mostly its
    own; a plain s_i/√n_i on 1–3 degrees of freedom gave 90 % intervals that covered
    about 75 % (docs/calibration.md). The SE is multiplied by the SD of the moderated t,
    √(ν/(ν − 2)), ν = d₀ + n_i − 1 (1 when d₀ = ∞), so normal draws carry its variance.
    With fewer than two units with a positive spread the rule of :func:`pooled_sd` is
    kept (own SD, a single visit the pooled SD)."""
    n = np.array([r.get("n") or 0 for r in scores], dtype=float)
    sd = np.array([r["sd"] if r.get("sd") is not None else np.nan for r in scores])
    df = np.where((n >= 2) & ~np.isnan(sd), n - 1, 0.0)
    if np.count_nonzero((df > 0) & (sd > 0)) >= 2:
        squeezed = variance.squeeze(np.where(df > 0, sd, np.nan) ** 2, df)
        spread = np.sqrt(squeezed.variance) * squeezed.t_scale()
    else:
        pooled = pooled_sd(scores)
        spread = np.where(df > 0, sd, np.nan if pooled is None else pooled)
    return [float(s / math.sqrt(k)) if k >= 1 and s > 0 else None
            for s, k in zip(spread.tolist(), n.tolist(), strict=True)]


def _inspection(period, leaves, codes, missing_source, sources, status, pulled):
    """Mean visit score per unit in the period's window, se = s̃/√n with s̃ the unit's
    moderated within-unit SD (:func:`visit_score_ses`), and the
    discrepancy rates of the same window (read when the scheme has self-checks, whose
    credibility they set)."""
    wanted = [leaf for leaf in leaves if leaf["source"] == "inspection"]
    discounted = any(leaf["source"] == "self_check" for leaf in leaves)
    if status.get("inspection", {}).get("status") == "skipped" or not (wanted or discounted):
        return [], {}
    _kind, start, end = parse_period(period)
    window = f"from={start.isoformat()}&to={end.isoformat()}"
    scores = []
    if wanted:
        scores = fetch_source(sources.inspection, "inspection", f"/api/v1/unit-scores?{window}",
                              missing_source, status)
        if scores is None:
            return [], {}
    rates_rows = fetch_source(sources.inspection, "inspection",
                              f"/api/v1/discrepancy-rates?{window}", missing_source, status)
    if rates_rows is None:
        return [], {}
    status["inspection"] = {"status": "ok"}
    pulled.setdefault("inspection", {})[period] = {"unit_scores": scores,
                                                   "discrepancy_rates": rates_rows}
    out = []
    ses = visit_score_ses(scores)
    for index, row in enumerate(scores):
        if row.get("unit") not in codes or row.get("mean") is None:
            continue
        out.extend([row["unit"], leaf["id"], "", float(row["mean"]), ses[index]]
                   for leaf in wanted)
    rates = {r["unit"]: float(r["rate"]) for r in rates_rows
             if r.get("unit") in codes and r.get("rate") is not None}
    return out, rates
