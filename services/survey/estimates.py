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
- DK and refused are left out of every denominator;
- statistics: a proportion per answer code of single, multiple and yes/no questions, a
  mean of rating and number questions, a satisfaction rate where satisfied codes are
  declared (rating categories are summarised by mean and satisfaction rate).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import get_or_404
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
from .models.interviews import Answer, Interview
from .models.polls import Poll
from .polls import poll_margins
from .questionnaire_document import special_codes, substantive_codes
from .scoring_registry import ScoringRegistry

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


@dataclass
class Sample:
    """The respondents of a poll as columns: township (and cluster) per row and, per
    question, the stored answer per row (None when not answered)."""

    township: np.ndarray
    cluster: np.ndarray | None
    answers: dict[str, list[Any]]

    @property
    def n(self) -> int:
        return int(self.township.size)

    def strata(self) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """Township codes, an integer stratum per row (fast to sort) and the rows of each
        township."""
        labels, codes = np.unique(self.township.astype(str), return_inverse=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
        names = [str(t) for t in labels]
        return names, codes.astype(np.int64), {t: order[bounds[i]:bounds[i + 1]]
                                               for i, t in enumerate(names)}


def gather(session: Session, poll: Poll, options: Options) -> Sample:
    """Read the respondents and their answers with two plain queries (no ORM objects)."""
    statuses = ("complete", "partial") if options.include_partials else ("complete",)
    chosen = (Interview.poll_id == poll.id, Interview.status.in_(statuses),
              Interview.township.is_not(None))
    people = session.execute(select(Interview.id, Interview.township, Interview.cluster)
                             .where(*chosen).order_by(Interview.id)).all()
    position = {row.id: i for i, row in enumerate(people)}
    answers: dict[str, list[Any]] = {q["id"]: [None] * len(people)
                                     for q in poll.questionnaire.document["questions"]}
    for interview_id, question_id, value in session.execute(
            select(Answer.interview_id, Answer.question_id, Answer.value)
            .join(Interview, Interview.id == Answer.interview_id).where(*chosen)):
        if question_id in answers:
            answers[question_id][position[interview_id]] = value
    township = np.array([row.township for row in people], dtype=object)
    cluster = None
    if any(row.cluster for row in people):
        cluster = np.array([row.cluster or f"#{row.id}" for row in people], dtype=object)
    return Sample(township, cluster, answers)


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


def _categories(sample: Sample, variable: str, collected) -> np.ndarray:
    """Margin category per respondent ("" when a part is DK/refused/unanswered)."""
    out = None
    for part in variable.split("*"):
        qid, mapping = collected[part]
        scalar = _codes_array(sample.answers[qid])
        labels = np.full(sample.n, "", dtype=object)
        for code, category in mapping.items():
            labels[scalar == float(code)] = category
        if out is None:
            out = labels
        else:
            blank = (out == "") | (labels == "")
            out = np.where(blank, "", out + "*" + labels)
    return out


def _check_margin(cats: np.ndarray, counts: dict[str, float], population: float) -> str | None:
    """Why a township's margin cannot be used, or None."""
    seen = set(cats.tolist()) - {""}
    total = sum(counts.values())
    if abs(total - population) > 1e-6 * population:
        return f"total {total:g} differs from the township population {population:g}"
    if seen - set(counts):
        return f"answers in categories without a count: {sorted(seen - set(counts))}"
    empty = [c for c, v in counts.items() if v > 0 and c not in seen]
    if empty:
        return f"no respondents in categories {empty}"
    if not seen:
        return "no respondent answered the question"
    return None


def _plan_raking(sample: Sample, rows, table, populations, collected):
    """The category per respondent of each usable variable, the (township, variable)
    pairs that are used, and the report of every margin with its reason."""
    report, used, categories = [], set(), {}
    for variable in sorted({v for t in table.values() for v in t}):
        missing = [p for p in variable.split("*") if p not in collected]
        cats = None if missing else _categories(sample, variable, collected)
        for township in sorted(rows):
            counts = table.get(township, {}).get(variable)
            if counts is None:
                continue
            if missing:
                reason = f"not collected by the poll ({', '.join(missing)})"
            else:
                reason = _check_margin(cats[rows[township]], counts, populations[township])
            report.append({"township": township, "variable": variable, "used": reason is None,
                           "reason": reason})
            if reason is None:
                used.add((township, variable))
                categories[variable] = cats
    return categories, used, report


def _rake_margins(strata, names, rows, categories, used, table,
                  weights) -> tuple[list[Margin], dict]:
    """One Margin per variable, crossed with the township (both integer-coded, which
    keeps sorting fast). A township that does not use the variable gets one cell
    ``(all)`` with its total weight as target; a respondent without a category gets the
    township's most common (weighted) category."""
    margins, imputed = [], {}
    for variable, cats in sorted(categories.items()):
        labels = cats.copy()
        population: dict[tuple[int, str], float] = {}
        for number, township in enumerate(names):
            idx = rows[township]
            if (township, variable) not in used:
                labels[idx] = "(all)"
                population[(number, "(all)")] = float(weights[idx].sum())
                continue
            population.update({(number, c): n for c, n in table[township][variable].items()})
            own = labels[idx]
            blank = own == ""
            if blank.any():
                known = own[~blank]
                values, inverse = np.unique(known.astype(str), return_inverse=True)
                modal = values[np.argmax(np.bincount(inverse, weights=weights[idx][~blank]))]
                labels[idx[blank]] = modal
                imputed[variable] = imputed.get(variable, 0) + int(blank.sum())
        text = labels.astype(str)
        index = {c: i for i, c in enumerate(sorted(set(labels.tolist())))}
        codes = np.zeros(labels.size, np.int64)
        for category, number in index.items():
            codes[text == category] = number
        targets = {(t, index[c]): n for (t, c), n in population.items() if c in index}
        margins.append(Margin(variable, [strata, codes], targets))
    return margins, imputed


def _codes_array(values: list[Any]) -> np.ndarray:
    """Scalar answers as floats (NaN when missing or not a number)."""
    try:
        return np.array(values, dtype=float)      # fast path: numbers and None only
    except (TypeError, ValueError):
        return np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool)
                         else np.nan for v in values], dtype=float)


def _columns(document: dict, sample: Sample) -> tuple[list, np.ndarray, list, np.ndarray]:
    """Proportion columns (question, statistic, category) with 0/1/NaN values, and mean
    columns (question) with values/NaN, one row per respondent."""
    p_keys, p_cols, m_keys, m_cols = [], [], [], []
    for q in document["questions"]:
        kind = q["type"]
        if kind in ("text", "voice"):
            continue
        values = sample.answers[q["id"]]
        specials = list(special_codes(q))
        scalar = _codes_array(values)
        invalid = np.isnan(scalar) | np.isin(scalar, specials)
        if kind == "multiple":
            chosen = [set(v) if isinstance(v, list) else None for v in values]
            invalid = np.array([c is None for c in chosen])
            for code in substantive_codes(q):
                col = np.array([code in c if c is not None else False for c in chosen], float)
                col[invalid] = np.nan
                p_keys.append((q["id"], "proportion", str(code)))
                p_cols.append(col)
        elif kind in ("single", "yesno"):
            for code in substantive_codes(q):
                col = (scalar == code).astype(float)
                col[invalid] = np.nan
                p_keys.append((q["id"], "proportion", str(code)))
                p_cols.append(col)
        if "satisfied" in q:
            p_keys.append((q["id"], "satisfaction_rate", None))
            p_cols.append(satisfaction_indicator(scalar, q["satisfied"], specials))
        if kind in ("rating", "number"):
            col = scalar.copy()
            col[invalid] = np.nan
            m_keys.append((q["id"], "mean", None))
            m_cols.append(col)
    return p_keys, _matrix(p_cols, sample.n), m_keys, _matrix(m_cols, sample.n)


def _matrix(columns: list[np.ndarray], n: int) -> np.ndarray:
    out = np.empty((n, len(columns)), order="F")
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def _plain(values: np.ndarray) -> list:
    """A (k, D) float array as nested lists with None for NaN / infinity."""
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    return out.tolist()


def _rows(result, keys, labels: list[str]) -> list[dict[str, Any]]:
    """Contract rows from a DomainEstimates whose domains index ``labels``."""
    domains = [labels[0] if d is None else labels[int(d)] for d in result.domains]
    est, se = _plain(result.estimate), _plain(result.se)
    low, high = _plain(result.ci_low), _plain(result.ci_high)
    n_eff, deff, n = _plain(result.n_eff), _plain(result.deff_kish), result.n.tolist()
    rows = []
    for i, (qid, statistic, category) in enumerate(keys):
        for j, township in enumerate(domains):
            rows.append({"township": township, "question": qid, "statistic": statistic,
                         "category": category, "estimate": est[i][j], "se": se[i][j],
                         "ci_low": low[i][j], "ci_high": high[i][j], "n": int(n[i][j]),
                         "n_eff": n_eff[i][j], "deff": deff[i][j]})
    return rows


def _method(options: Options, n: int) -> dict[str, Any]:
    return {
        "respondents": "complete and partial interviews (AAPOR I and P)"
        if options.include_partials else "complete interviews (AAPOR I)",
        "dk_refused": "left out of numerators and denominators",
        "base_weights": "N_t / n_t (N_t = township population from the registry; "
                        "n_t where the registry has no margins)",
        "variance": "Taylor linearisation; strata = townships; clusters = interview cluster "
                    "when given; fpc = n_t / N_t; raked SEs use calibration residuals",
        "interval": f"{options.level:.0%} Wilson interval with Kish effective n for "
                    "proportions; estimate ± z·SE for means",
        "n_eff": "Kish: n / (1 + CV²(w))", "level": options.level, "n_respondents": n,
    }


def compute(session: Session, registry: ScoringRegistry | None, poll: Poll,
            options: Options = Options()) -> dict[str, Any]:
    """``{"poll_id", "method", "rows"}`` for the poll; raises ValidationFailed when the
    data cannot give an honest estimate (the estimation error's fields)."""
    sample = gather(session, poll, options)
    table = _margin_table(poll_margins(session, registry, poll.id)) if sample.n else {}
    result = estimate(sample, poll.questionnaire.document, table, options)
    result["method"]["townships_without_respondents"] = sorted(
        {t.township for t in poll.townships} - set(sample.township.tolist()))
    return {"poll_id": poll.id, **result}


def estimate(sample: Sample, document: dict, table: dict, options: Options) -> dict[str, Any]:
    """Weights, raking and estimates of a sample: ``{"method", "rows"}``."""
    method = _method(options, sample.n)
    if not sample.n:
        method["note"] = "no complete or partial interviews yet"
        return {"method": method, "rows": []}
    names, strata, rows_of = sample.strata()
    populations = {t: (_population(table[t]) if t in table else None) or float(idx.size)
                   for t, idx in rows_of.items()}
    method["population"] = populations
    fractions = {i: min(1.0, rows_of[t].size / populations[t]) if t in table else 0.0
                 for i, t in enumerate(names)}
    try:
        weights = base_weights(strata, {i: populations[t] for i, t in enumerate(names)})
        design = SurveyDesign(weights, strata=strata, clusters=sample.cluster,
                              sampling_fraction=None if sample.cluster is not None
                              else fractions)
        design, method["raking"], method["margins"] = _raked(
            design, sample, (strata, names, rows_of), table, populations, document, weights,
            options)
        p_keys, p_matrix, m_keys, m_matrix = _columns(document, sample)
        rows = []
        by_options = ((strata, names), *(((None, [ALL]),) if options.overall else ()))
        for by, labels in by_options:
            if p_keys:
                rows += _rows(domain_estimates(design, p_matrix, by, statistic="proportion",
                                               level=options.level), p_keys, labels)
            if m_keys:
                rows += _rows(domain_estimates(design, m_matrix, by, statistic="mean",
                                               level=options.level), m_keys, labels)
    except EstimationError as exc:
        raise ValidationFailed(f"Cannot estimate: {exc.message}", exc.errors) from None
    order = {q["id"]: i for i, q in enumerate(document["questions"])}
    rows.sort(key=lambda r: (r["township"] == ALL, r["township"], order[r["question"]],
                             r["statistic"] != "satisfaction_rate", r["statistic"],
                             r["category"] or ""))
    return {"method": method, "rows": rows}


def _raked(design, sample, coding, table, populations, document, weights, options):
    strata, names, rows_of = coding
    categories, used, report = _plan_raking(sample, rows_of, table, populations,
                                            _collected(document))
    if not options.rake or not used:
        note = "off" if not options.rake else "no usable margins"
        return design, {"applied": False, "note": note}, report
    margins, imputed = _rake_margins(strata, names, rows_of, categories, used, table, weights)
    trim = None
    if options.trim_lower is not None or options.trim_upper is not None:
        trim = Trim(lower=options.trim_lower, upper=options.trim_upper)
    result = rake(design, margins, tol=options.tol, max_iter=options.max_iter, trim=trim)
    summary = {"applied": True, "method": "iterative proportional fitting per township",
               **result.report(), "imputed_categories": imputed}
    return result.design, summary, report


def poll_estimates(session: Session, registry: ScoringRegistry | None, poll_id: int, *,
                   township: str | None = None, question: str | None = None,
                   **options: Any) -> dict[str, Any]:
    """``compute`` with ``Options(**options)``, its rows of ``township`` and ``question``
    only when given; NotFound (no poll), ValidationFailed as ``compute``."""
    result = compute(session, registry, get_or_404(session, Poll, poll_id), Options(**options))
    result["rows"] = [row for row in result["rows"]
                      if (township is None or row["township"] == township)
                      and (question is None or row["question"] == question)]
    return result


def estimate_table(session: Session, registry: ScoringRegistry | None, poll_id: int,
                   **query: Any) -> tuple[list[str], list[list[Any]]]:
    """The rows of ``poll_estimates`` as a spreadsheet table."""
    result = poll_estimates(session, registry, poll_id, **query)
    return list(ESTIMATE_COLUMNS), [[row[c] for c in ESTIMATE_COLUMNS] for row in result["rows"]]
