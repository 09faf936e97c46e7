"""The leaders' and analysts' dashboard: published rankings, a unit's page, poll
satisfaction per township and inspection findings, each chart an SVG drawn on the server
(``<name>.svg``) beside the table of its numbers, which downloads as ``<name>.csv``.

Leaders, analysts and planners (and admins) open every page; a unit reporter opens the
ranking and unit pages too, where the scoring API answers its token with its own unit
only (another unit's page is the API's 404). Polls and inspections are read with the
analyst's rights, which a unit's token does not have (403).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from services.portal import access, clock, dashboard
from services.portal import dashboard_charts as charts
from services.portal.labels import label
from shared.errors import ValidationFailed
from shared.spreadsheets import export

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
READERS = ("planner", "analyst", "leader")
SVG = "image/svg+xml"


def _lang() -> str:
    return str(get_locale() or "zh_CN")


def _svg(text: str) -> Response:
    return Response(text, mimetype=SVG)


def _csv(table: dashboard.Table) -> Response:
    return export("csv", table.name, [str(c.title) for c in table.columns], table.csv_rows(),
                  csv_cell=lambda v: "" if v is None else v)


def _labels(rows, key="unit") -> list[str]:
    """Code and name (the code alone when the name is the code)."""
    return [r[key] if r.get("name") in (None, "", r[key]) else f"{r[key]} {r['name']}"
            for r in rows]


@bp.get("/")
@access.require(*READERS)
def index():
    apis = access.apis()
    return render_template("dashboard/index.html", runs=dashboard.published_runs(apis),
                           polls=dashboard.polls(apis))


@bp.get("/runs/<int:run_id>")
@access.require(*READERS, "unit")
def run(run_id: int):
    apis = access.apis()
    record = dashboard.run(apis, run_id)
    if record.get("state") != "published":
        abort(404)  # the dashboard shows published runs only
    return render_template("dashboard/run.html", run=record,
                           level=dashboard.interval_level(record),
                           groups=dashboard.groups(apis, run_id, _lang()))


@bp.get("/runs/<int:run_id>/groups/<code>.<any(svg, csv):fmt>")
@access.require(*READERS, "unit")
def group_chart(run_id: int, code: str, fmt: str):
    table = dashboard.group(access.apis(), run_id, code, _lang())
    if fmt == "csv":
        return _csv(table)
    return _svg(charts.ranking(table.rows, _labels(table.rows), str(_l("Composite")),
                               str(_l("Rank")), request.args.get("unit")))


@bp.get("/runs/<int:run_id>/units/<code>")
@access.require(*READERS, "unit")
def unit(run_id: int, code: str):
    apis = access.apis()
    record = dashboard.run(apis, run_id)
    found, contributions = dashboard.breakdown(apis, run_id, code, _lang())
    group = dashboard.group(apis, run_id, found["peer_group"], _lang())
    return render_template("dashboard/unit.html", run=record, unit=found, code=code,
                           name=dashboard.unit_name(found, _lang()),
                           contributions=contributions, group=group,
                           months=dashboard.trend(apis, record, code),
                           level=dashboard.interval_level(record))


@bp.get("/runs/<int:run_id>/units/<code>/<any(breakdown, months):chart>.<any(svg, csv):fmt>")
@access.require(*READERS, "unit")
def unit_chart(run_id: int, code: str, chart: str, fmt: str):
    apis = access.apis()
    if chart == "breakdown":
        table = dashboard.breakdown(apis, run_id, code, _lang())[1]
        if fmt == "csv":
            return _csv(table)
        return _svg(charts.contributions(table.rows, _labels(table.rows, "indicator"),
                                         table.extra["composite"], str(_l("Contribution"))))
    table = dashboard.trend(apis, dashboard.run(apis, run_id), code)
    if fmt == "csv":
        return _csv(table)
    return _svg(charts.months(table.rows, str(_l("Composite")), str(_l("Rank in the group"))))


@bp.get("/polls/<int:poll_id>")
@access.require(*READERS)
def poll(poll_id: int):
    apis = access.apis()
    found, table = dashboard.satisfaction(apis, poll_id, dashboard.unit_names(apis, _lang()))
    return render_template("dashboard/poll.html", poll=found, table=table)


@bp.get("/polls/<int:poll_id>/satisfaction.<any(svg, csv):fmt>")
@access.require(*READERS)
def poll_chart(poll_id: int, fmt: str):
    apis = access.apis()
    table = dashboard.satisfaction(apis, poll_id, dashboard.unit_names(apis, _lang()))[1]
    if fmt == "csv":
        return _csv(table)
    return _svg(charts.satisfaction(table.rows, _labels(table.rows, "township"),
                                    str(_l("Satisfied (%)"))))


def _window() -> tuple[date, date]:
    """``from`` and ``to`` of the query (default: this year to today); a bad date or
    an empty window is a 422 naming the field."""
    today = clock.today()
    found = {}
    for key, default in (("from", date(today.year, 1, 1)), ("to", today)):
        text = request.args.get(key)
        try:
            found[key] = date.fromisoformat(text) if text else default
        except ValueError:
            raise ValidationFailed("Invalid date", {key: ["Not a date (YYYY-MM-DD)."]}) from None
    if found["from"] > found["to"]:
        raise ValidationFailed("Empty window", {"from": ["Must not be after 'to'."]})
    return found["from"], found["to"]


def _findings(start: date, end: date) -> dashboard.Table:
    apis = access.apis()
    return dashboard.findings(apis, start, end, dashboard.unit_names(apis, _lang()))


def _closure(end: date) -> dashboard.Table:
    """Orders as of the day after the window's end (due: closed, or past their deadline)."""
    apis = access.apis()
    return dashboard.closure(apis, end + timedelta(days=1), dashboard.unit_names(apis, _lang()))


@bp.get("/inspections")
@access.require(*READERS)
def inspections():
    start, end = _window()
    return render_template("dashboard/inspections.html", start=start, end=end,
                           findings=_findings(start, end), closure=_closure(end))


@bp.get("/inspections/<any(findings, closure):chart>.<any(svg, csv):fmt>")
@access.require(*READERS)
def inspection_chart(chart: str, fmt: str):
    start, end = _window()
    table = _findings(start, end) if chart == "findings" else _closure(end)
    if fmt == "csv":
        return _csv(table)
    if chart == "findings":
        found = [r for r in table.rows if r.get("findings")]  # the table lists every unit
        return _svg(charts.findings(found, _labels(found),
                                    {s: str(label(s)) for s in dashboard.SEVERITIES},
                                    str(_l("Findings"))))
    return _svg(charts.on_time(table.rows, _labels(table.rows), str(_l("Closed on time (%)"))))
