"""What the leaders' and analysts' dashboard shows, read from the services' APIs with the
signed-in person's token: published rankings (scoring), a unit's breakdown and its months
(scoring), poll satisfaction and response rates per township (survey), inspection
findings and on-time rectification (inspection).

Each chart is a :class:`Table`: its columns and its rows of the API's own numbers, which
the page prints beside the chart, the CSV download writes, and
``services.portal.dashboard_charts`` draws (the SVG carries the same numbers in its
elements' ``data-*`` attributes). Nothing is computed here that the APIs do not say, but
for sums and sorting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from services.portal.api_client import Apis
from shared.client import ServiceError

# Months of the vertical comparison (纵向比) on a unit's page.
TREND_MONTHS = 12
SATISFACTION = "satisfaction_rate"
SEVERITIES = ("critical", "major", "minor")
POLL_STATUS = {"draft": _l("draft"), "fielding": _l("in the field"), "closed": _l("closed")}


@dataclass(frozen=True)
class Column:
    key: str
    title: Any
    kind: str = "text"  # text | number (2 decimals) | percent (of a fraction) | int


@dataclass
class Table:
    """A chart's numbers: ``rows`` are dicts keyed by the columns' keys."""

    name: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)

    def csv_rows(self) -> list[list[Any]]:
        return [[row.get(c.key) for c in self.columns] for row in self.rows]


def unit_name(row: dict[str, Any], lang: str) -> str:
    return row.get("name_zh" if lang.startswith("zh") else "name_en") or row.get("unit", "")


# -- scoring: published runs, rankings, a unit ------------------------------------------------

def published_runs(apis: Apis) -> list[dict[str, Any]]:
    """Published runs, newest first (as the API lists them)."""
    return apis.scoring.get_json("/api/v1/runs", params={"state": "published"})


def run(apis: Apis, run_id: int) -> dict[str, Any]:
    return apis.scoring.get_json(f"/api/v1/runs/{run_id}")


def interval_level(run_record: dict[str, Any]) -> float | None:
    """The level of the run's composite intervals (its Monte Carlo's), e.g. 0.9."""
    engine = ((run_record.get("method") or {}).get("final") or {}).get("engine") or {}
    return (engine.get("monte_carlo") or {}).get("level")


def ranking_columns() -> list[Column]:
    return [Column("rank", _l("Rank"), "int"), Column("unit", _l("Unit")),
            Column("name", _l("Unit name")), Column("composite", _l("Composite"), "number"),
            Column("composite_lo", _l("Interval from"), "number"),
            Column("composite_hi", _l("Interval to"), "number"),
            Column("rank_lo", _l("Best rank"), "int"), Column("rank_hi", _l("Worst rank"), "int")]


def groups(apis: Apis, run_id: int, lang: str) -> dict[str, Table]:
    """The run's ranking, one table per peer group (by rank), as the API returns it."""
    out: dict[str, Table] = {}
    for row in apis.scoring.get_json(f"/api/v1/runs/{run_id}/ranking"):
        table = out.setdefault(row["peer_group"],
                               Table(f"run{run_id}-{row['peer_group']}", ranking_columns(), []))
        table.rows.append({**row, "name": unit_name(row, lang)})
    for table in out.values():
        table.rows.sort(key=lambda r: (r["rank"], r["unit"]))
    return dict(sorted(out.items()))


def group(apis: Apis, run_id: int, code: str, lang: str) -> Table:
    rows = apis.scoring.get_json(f"/api/v1/runs/{run_id}/ranking", params={"group": code})
    rows = sorted(({**r, "name": unit_name(r, lang)} for r in rows),
                  key=lambda r: (r["rank"], r["unit"]))
    return Table(f"run{run_id}-{code}", ranking_columns(), rows)


def breakdown(apis: Apis, run_id: int, code: str, lang: str) -> tuple[dict[str, Any], Table]:
    """The unit's breakdown as the API answers it, and its contributions as a table (the
    API's order: what pulled the unit up most first)."""
    found = apis.scoring.get_json(f"/api/v1/runs/{run_id}/units/{code}")
    rows = [{**i, "name": unit_name(i, lang) if i.get("name_zh") else i["indicator"]}
            for i in found.get("indicators", [])]
    columns = [Column("indicator", _l("Indicator")), Column("name", _l("Indicator name")),
               Column("contribution", _l("Contribution"), "number"),
               Column("group_mean_contribution", _l("Group mean"), "number"),
               Column("pull", _l("Against the group"), "number"),
               Column("raw", _l("Value"), "number")]
    return found, Table(f"run{run_id}-{code}-breakdown", columns, rows,
                        {"composite": found.get("composite"),
                         "sum": found.get("sum_of_contributions")})


def _months_until(run_record: dict[str, Any]) -> str:
    """The last month a unit's months run to: the run's own month, or for a longer
    period the last month that period can hold (a year's runs: its December)."""
    period = run_record["period"]
    if run_record.get("kind") == "monthly":
        return period
    return f"{period[:4]}-12"


def trend(apis: Apis, run_record: dict[str, Any], code: str) -> Table:
    """The unit's composite and rank month by month (纵向比): the latest published
    monthly run of each month up to the run's, at most ``TREND_MONTHS``; a month whose
    run does not hold the unit is left out."""
    last = _months_until(run_record)
    latest: dict[str, dict[str, Any]] = {}
    for r in apis.scoring.get_json("/api/v1/runs", params={"state": "published",
                                                           "kind": "monthly"}):
        if r["period"] <= last and r["period"] not in latest:
            latest[r["period"]] = r  # newest first: the first of a month is its latest
    rows = []
    for period in sorted(latest)[-TREND_MONTHS:]:
        try:
            found = apis.scoring.get_json(f"/api/v1/runs/{latest[period]['id']}/units/{code}")
        except ServiceError as exc:
            if exc.upstream_status != 404:
                raise
            continue
        rows.append({"period": period, "run_id": latest[period]["id"],
                     "composite": found.get("composite"), "rank": found.get("rank"),
                     "group_size": (found.get("horizontal") or {}).get("group_size")})
    columns = [Column("period", _l("Month")), Column("run_id", _l("Run no."), "int"),
               Column("composite", _l("Composite"), "number"), Column("rank", _l("Rank"), "int"),
               Column("group_size", _l("Units in the group"), "int")]
    return Table(f"run{run_record['id']}-{code}-months", columns, rows)


# -- survey: satisfaction and response rates per township -------------------------------------

def polls(apis: Apis) -> list[dict[str, Any]]:
    """Polls in the field or closed, newest first."""
    found = apis.survey.get_json("/api/v1/polls")
    return sorted(({**p, "status_label": POLL_STATUS.get(p["status"], p["status"])}
                   for p in found if p.get("status") in ("fielding", "closed")),
                  key=lambda p: -p["id"])


def satisfaction(apis: Apis, poll_id: int, names: dict[str, str]) -> tuple[dict, Table]:
    """Per township: the satisfaction rate with its Wilson interval (the overall question
    ``q_overall`` when the poll has it, else the first with the statistic), respondents,
    and the AAPOR response rates RR1 and RR3 of its dispositions."""
    poll = apis.survey.get_json(f"/api/v1/polls/{poll_id}")
    poll["status_label"] = POLL_STATUS.get(poll.get("status"), poll.get("status"))
    estimates = apis.survey.get_json(f"/api/v1/polls/{poll_id}/estimates")
    rates = apis.survey.get_json(f"/api/v1/polls/{poll_id}/outcome-rates")
    rows = [r for r in estimates.get("rows", []) if r.get("statistic") == SATISFACTION
            and r.get("category") is None]
    questions = sorted({r["question"] for r in rows})
    question = "q_overall" if "q_overall" in questions else (questions[0] if questions else None)
    by_township = {t.get("township"): t.get("rates") or {} for t in rates.get("townships", [])}
    out = []
    for r in sorted((r for r in rows if r["question"] == question),
                    key=lambda r: r["township"] or ""):
        township = r["township"]
        out.append({"township": township, "name": names.get(township, township),
                    "estimate": r.get("estimate"), "ci_low": r.get("ci_low"),
                    "ci_high": r.get("ci_high"), "n": r.get("n"),
                    "rr1": by_township.get(township, {}).get("RR1"),
                    "rr3": by_township.get(township, {}).get("RR3")})
    columns = [Column("township", _l("Township")), Column("name", _l("Township name")),
               Column("estimate", _l("Satisfied"), "percent"),
               Column("ci_low", _l("Interval from"), "percent"),
               Column("ci_high", _l("Interval to"), "percent"),
               Column("n", _l("Respondents"), "int"),
               Column("rr1", _l("Response rate RR1"), "percent"),
               Column("rr3", _l("Response rate RR3"), "percent")]
    overall = (rates.get("overall") or {}).get("rates") or {}
    return poll, Table(f"poll{poll_id}-satisfaction", columns, out,
                       {"question": question, "level": (estimates.get("method") or {})
                        .get("level"), "rr1": overall.get("RR1"), "rr3": overall.get("RR3")})


# -- inspection: findings by severity, on-time rectification ----------------------------------

def unit_names(apis: Apis, lang: str) -> dict[str, str]:
    """Unit code → name in the person's language (the scoring registry)."""
    return {u["code"]: unit_name(u, lang) for u in apis.scoring.get_json("/api/v1/units")}


def findings(apis: Apis, start: date, end: date, names: dict[str, str]) -> Table:
    """Per unit: visits counted in the window and their findings by severity."""
    found = apis.inspection.get_json("/api/v1/finding-counts",
                                     params={"from": start.isoformat(), "to": end.isoformat()})
    rows = [{**r, "name": names.get(r["unit"], r["unit"])}
            for r in sorted(found, key=lambda r: (-r.get("findings", 0), r["unit"]))]
    columns = [Column("unit", _l("Unit")), Column("name", _l("Unit name")),
               Column("visits", _l("Visits"), "int"),
               *(Column(s, label, "int") for s, label in (
                   ("critical", _l("critical")), ("major", _l("major")),
                   ("minor", _l("minor")))),
               Column("findings", _l("Findings"), "int")]
    return Table("findings", columns, rows)


def closure(apis: Apis, as_of: date, names: dict[str, str]) -> Table:
    """Per unit: rectification orders, due by ``as_of``, closed on time, the rate."""
    found = apis.inspection.get_json("/api/v1/orders/closure-rates",
                                     params={"as_of": as_of.isoformat()})
    rows = [{**r, "name": names.get(r["unit"], r["unit"])} for r in found]
    columns = [Column("unit", _l("Unit")), Column("name", _l("Unit name")),
               Column("orders", _l("Orders"), "int"), Column("due", _l("Due"), "int"),
               Column("closed", _l("Closed"), "int"),
               Column("closed_on_time", _l("Closed on time"), "int"),
               Column("rate", _l("On time"), "percent")]
    due = sum(r["due"] for r in rows)
    on_time = sum(r["closed_on_time"] for r in rows)
    return Table("closure", columns, rows,
                 {"due": due, "on_time": on_time, "rate": on_time / due if due else None})
