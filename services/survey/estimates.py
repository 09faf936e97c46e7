"""Township estimates of a poll: gather answers and margins, weight, rake, estimate.

The statistics are the pure ``services.survey.estimation`` package; this module turns
a poll's interviews into its arrays and its results into the contract rows
(docs/CONTRACTS.md): ``{"township", "question", "statistic", "category", "estimate",
"se", "ci_low", "ci_high", "n", "n_eff", "deff"}``.

Choices (stated again in every result's ``method``):
- respondents: complete and partial interviews with a township (AAPOR I and P);
- base weight N_t / n_t with N_t the township's population (total of its margins),
  1 where the registry has no margins for it; strata = townships; fpc n_t / N_t;
  clusters = the interviews' ``cluster`` when any is given;
- raking: each township to its own margins for the variables the questionnaire
  collects (a question's ``margin``); a margin is not used for a township when the
  poll did not collect it, when its total differs from the township population, or
  when a category has no respondents (reported with the reason); a respondent with no
  category (DK/refused/unanswered) on a raking variable gets the township's most
  common category (reported as imputed);
- DK and refused are left out of every denominator.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.errors import ValidationFailed

from .estimation import (
    EstimationError,
    Margin,
    SurveyDesign,
    Trim,
    base_weights,
    domain_estimates,
    rake,
    satisfaction_indicator,
)
from .models.interview import Interview
from .models.poll import Poll
from .polls import poll_margins
from .questionnaires import special_codes, substantive_codes
from .registry import Registry

ALL = "ALL"
ESTIMATE_COLUMNS = ("township", "question", "statistic", "category", "estimate", "se",
                    "ci_low", "ci_high", "n", "n_eff", "deff")


@dataclass(frozen=True)
class Options:
    """Estimation options: interval level, raking tolerance and cap, trimming bounds
    (ratios to the township's mean weight), overall rows, partial interviews."""

    level: float = 0.95
    rake: bool = True
    tol: float = 1e-8
    max_iter: int = 500
    trim_lower: float | None = None
    trim_upper: float | None = None
    overall: bool = False
    include_partials: bool = True


def _respondents(session: Session, poll: Poll, options: Options) -> list[Interview]:
    statuses = ("complete", "partial") if options.include_partials else ("complete",)
    return list(session.scalars(select(Interview).where(
        Interview.poll_id == poll.id, Interview.status.in_(statuses),
        Interview.township.is_not(None)).order_by(Interview.id)))


def _margin_table(margins) -> dict[str, dict[str, dict[str, float]]]:
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for m in margins:
        table[m.township][m.variable][m.category] = m.count
    return table


def _population(variables: dict[str, dict[str, float]]) -> float | None:
    """A township's population: the total of its first single-variable margin."""
    for name in sorted(variables):
        if "*" not in name:
            return float(sum(variables[name].values()))
    return float(sum(next(iter(variables.values())).values())) if variables else None


def _collected(document: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """Margin variable -> (question id, {answer code: category})."""
    out = {}
    for q in document["questions"]:
        margin = q.get("margin")
        if margin:
            mapping = margin.get("map") or {str(c): str(c) for c in substantive_codes(q)}
            out[margin["variable"]] = (q["id"], {str(k): str(v) for k, v in mapping.items()})
    return out


def _categories(respondents, answers, variable, collected) -> list[str | None]:
    parts = variable.split("*")
    out = []
    for r in respondents:
        labels = []
        for part in parts:
            qid, mapping = collected[part]
            value = answers[r.id].get(qid)
            labels.append(mapping.get(str(value)) if value is not None else None)
        out.append(None if None in labels else "*".join(labels))
    return out


def _plan_raking(respondents, answers, table, populations, collected):
    """Which (township, variable) margins are used, the category per respondent, and the
    reasons others are not."""
    townships = sorted({r.township for r in respondents})
    all_variables = sorted({v for t in table.values() for v in t})
    report, used = [], {}
    for variable in all_variables:
        parts = variable.split("*")
        missing = [p for p in parts if p not in collected]
        cats = _categories(respondents, answers, variable, collected) if not missing else None
        for township in townships:
            counts = table.get(township, {}).get(variable)
            if counts is None:
                continue
            reason = None
            if missing:
                reason = f"not collected by the poll ({', '.join(missing)})"
            else:
                rows = [i for i, r in enumerate(respondents) if r.township == township]
                seen = Counter(cats[i] for i in rows if cats[i] is not None)
                total = sum(counts.values())
                if abs(total - populations[township]) > 1e-6 * populations[township]:
                    reason = (f"total {total:g} differs from the township population "
                              f"{populations[township]:g}")
                elif set(seen) - set(counts):
                    extra = sorted(set(seen) - set(counts))
                    reason = f"answers in categories without a count: {extra}"
                elif [c for c, v in counts.items() if v > 0 and c not in seen]:
                    empty = [c for c, v in counts.items() if v > 0 and c not in seen]
                    reason = f"no respondents in categories {empty}"
            report.append({"township": township, "variable": variable, "used": reason is None,
                           "reason": reason})
            if reason is None:
                used[(township, variable)] = cats
    return used, report


def _rake_margins(respondents, used, table, weights) -> tuple[list[Margin], dict]:
    """One Margin per variable, crossed with the township; a township that does not use
    the variable gets one cell ``(all)`` with its total weight as target."""
    township = np.array([r.township for r in respondents], dtype=object)
    totals = {t: float(weights[township == t].sum()) for t in set(township.tolist())}
    margins, imputed = [], {}
    for variable in sorted({v for _t, v in used}):
        labels, population = [], {}
        for t in sorted(totals):
            key = (t, variable)
            if key in used:
                population.update({(t, c): n for c, n in table[t][variable].items()})
        for i, r in enumerate(respondents):
            key = (r.township, variable)
            if key not in used:
                labels.append("(all)")
                population[(r.township, "(all)")] = totals[r.township]
                continue
            label = used[key][i]
            if label is None:
                label = _modal(used[key], respondents, r.township, weights)
                imputed[variable] = imputed.get(variable, 0) + 1
            labels.append(label)
        margins.append(Margin(variable, [township, np.array(labels, dtype=object)], population))
    return margins, imputed


def _modal(cats, respondents, township, weights) -> str:
    tally: Counter = Counter()
    for i, r in enumerate(respondents):
        if r.township == township and cats[i] is not None:
            tally[cats[i]] += weights[i]
    return tally.most_common(1)[0][0]


def _columns(document: dict, respondents, answers) -> tuple[list, np.ndarray, list, np.ndarray]:
    """Proportion columns (question, statistic, category) with 0/1/NaN values, and mean
    columns (question) with values/NaN, one row per respondent."""
    p_keys, p_cols, m_keys, m_cols = [], [], [], []
    for q in document["questions"]:
        kind = q["type"]
        if kind in ("text", "voice"):
            continue
        specials = set(special_codes(q))
        values = [answers[r.id].get(q["id"]) for r in respondents]
        valid = [v is not None and not (isinstance(v, int) and v in specials) for v in values]
        if kind in ("single", "yesno", "rating", "multiple"):
            for code in substantive_codes(q):
                col = [(float(code in v) if isinstance(v, list) else float(v == code))
                       if ok else np.nan for v, ok in zip(values, valid, strict=True)]
                p_keys.append((q["id"], "proportion", str(code)))
                p_cols.append(col)
        if "satisfied" in q:
            raw = np.array([v if v is not None else np.nan for v in values], dtype=float)
            p_keys.append((q["id"], "satisfaction_rate", None))
            p_cols.append(satisfaction_indicator(raw, q["satisfied"], list(specials)))
        if kind in ("rating", "number"):
            m_keys.append((q["id"], "mean", None))
            m_cols.append([float(v) if ok else np.nan
                           for v, ok in zip(values, valid, strict=True)])
    n = len(respondents)
    p_matrix = np.column_stack(p_cols) if p_cols else np.empty((n, 0))
    m_matrix = np.column_stack(m_cols) if m_cols else np.empty((n, 0))
    return p_keys, p_matrix, m_keys, m_matrix


def _rows(result, keys, by_label) -> list[dict[str, Any]]:
    rows = []
    for i, (qid, statistic, category) in enumerate(keys):
        for j, domain in enumerate(result.domains):
            n = int(result.n[i, j])
            rows.append({"township": by_label if domain is None else domain, "question": qid,
                         "statistic": statistic, "category": category,
                         "estimate": _num(result.estimate[i, j]), "se": _num(result.se[i, j]),
                         "ci_low": _num(result.ci_low[i, j]), "ci_high": _num(result.ci_high[i, j]),
                         "n": n, "n_eff": _num(result.n_eff[i, j]),
                         "deff": _num(result.deff_kish[i, j])})
    return rows


def _num(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def compute(session: Session, registry: Registry | None, poll: Poll,
            options: Options = Options()) -> dict[str, Any]:
    """``{"poll_id", "method", "rows"}`` for the poll; raises ValidationFailed when the
    data cannot give an honest estimate (the estimation error's fields)."""
    respondents = _respondents(session, poll, options)
    document = poll.questionnaire.document
    method: dict[str, Any] = {
        "respondents": "complete and partial interviews (AAPOR I and P)"
        if options.include_partials else "complete interviews (AAPOR I)",
        "dk_refused": "left out of numerators and denominators",
        "variance": "Taylor linearisation; strata = townships; clusters = interview cluster "
                    "when given; fpc = n_t / N_t; raked SEs use calibration residuals",
        "interval": f"{options.level:.0%} Wilson interval with Kish effective n for "
                    "proportions; estimate ± z·SE for means",
        "n_eff": "Kish: n / (1 + CV²(w))", "level": options.level,
        "n_respondents": len(respondents),
    }
    if not respondents:
        method["note"] = "no complete or partial interviews yet"
        return {"poll_id": poll.id, "method": method, "rows": []}
    answers = {r.id: {a.question_id: a.value for a in r.answers} for r in respondents}
    table = _margin_table(poll_margins(session, registry, poll))
    township = np.array([r.township for r in respondents], dtype=object)
    n_by = Counter(township.tolist())
    populations = {t: (_population(table[t]) if t in table else None) or float(n_by[t])
                   for t in n_by}
    weights = base_weights(township, populations)
    method["base_weights"] = "N_t / n_t (N_t = township population from the registry; " \
                             "n_t where the registry has no margins)"
    method["population"] = populations
    method["townships_without_respondents"] = sorted(
        {t.township for t in poll.townships} - set(n_by))
    clusters = None
    if any(r.cluster for r in respondents):
        clusters = np.array([r.cluster or f"#{r.id}" for r in respondents], dtype=object)
    fractions = {t: min(1.0, n_by[t] / populations[t]) if t in table else 0.0 for t in n_by}
    try:
        design = SurveyDesign(weights, strata=township, clusters=clusters,
                              sampling_fraction=None if clusters is not None else fractions)
        design, method["raking"], method["margins"] = _raked(
            design, respondents, answers, table, populations, document, weights, options)
        p_keys, p_matrix, m_keys, m_matrix = _columns(document, respondents, answers)
        rows = []
        for by, label in ((township, None), *(((None, ALL),) if options.overall else ())):
            if p_keys:
                rows += _rows(domain_estimates(design, p_matrix, by, statistic="proportion",
                                               level=options.level), p_keys, label)
            if m_keys:
                rows += _rows(domain_estimates(design, m_matrix, by, statistic="mean",
                                               level=options.level), m_keys, label)
    except EstimationError as exc:
        raise ValidationFailed(f"Cannot estimate: {exc.message}", exc.errors) from None
    order = {q["id"]: i for i, q in enumerate(document["questions"])}
    rows.sort(key=lambda r: (r["township"] == ALL, r["township"], order[r["question"]],
                             r["statistic"] != "satisfaction_rate", r["statistic"],
                             r["category"] or ""))
    return {"poll_id": poll.id, "method": method, "rows": rows}


def _raked(design, respondents, answers, table, populations, document, weights, options):
    collected = _collected(document)
    used, report = _plan_raking(respondents, answers, table, populations, collected)
    if not options.rake or not used:
        note = "off" if not options.rake else "no usable margins"
        return design, {"applied": False, "note": note}, report
    margins, imputed = _rake_margins(respondents, used, table, weights)
    trim = None
    if options.trim_lower is not None or options.trim_upper is not None:
        trim = Trim(lower=options.trim_lower, upper=options.trim_upper)
    result = rake(design, margins, tol=options.tol, max_iter=options.max_iter, trim=trim)
    summary = {"applied": True, "method": "iterative proportional fitting per township",
               **result.report(), "imputed_categories": imputed}
    return result.design, summary, report


def estimate_table(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The rows of ``compute`` as a spreadsheet table."""
    return list(ESTIMATE_COLUMNS), [[row[c] for c in ESTIMATE_COLUMNS] for row in result["rows"]]
