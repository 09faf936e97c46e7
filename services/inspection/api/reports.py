"""Reports: ``/unit-scores``, ``/discrepancy-rates`` (the two that scoring reads),
``/visit-scores``, ``/discrepancies`` — and the one view every report is made of, also
used by ``/orders/overdue`` and ``/orders/closure-rates``: rows as JSON, or the same
columns as a CSV (UTF-8 with BOM) or XLSX download with ``format=csv|xlsx``."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy.orm import Session

from services.inspection import reports
from services.inspection.schemas.reports import (
    DiscrepancyRateSchema,
    DiscrepancyRowSchema,
    FindingCountSchema,
    UnitScoreSchema,
    VisitScoreRowSchema,
    WindowQuerySchema,
)
from shared.auth import Principal, current_principal, roles
from shared.db import db_session
from shared.spreadsheets import CSV_MIME, XLSX_MIME, export

blp = Blueprint("reports", __name__, description="Inspection scores and discrepancies")
FILE = {"type": "string", "format": "binary"}  # OpenAPI: a body that is a file
ANSWER = "the rows; with format=csv or xlsx the same columns as a file (CSV: UTF-8 with BOM)"


@dataclass(frozen=True)
class Report:
    """A report view: its path, endpoint name and summary, who may read it, its query,
    its rows (``rows(session, principal, query)``, dicts with the schema's fields) and
    the file name of its downloads."""

    path: str
    endpoint: str
    summary: str
    readers: tuple[str, ...]
    query: type[Schema]
    row: type[Schema]
    rows: Callable[[Session, Principal, dict[str, Any]], list[dict[str, Any]]]
    filename: str


def add_report(blp: Blueprint, report: Report) -> None:
    """Register ``report`` on ``blp``: JSON rows, or a CSV/XLSX file of the same columns."""
    columns = list(report.row().fields)

    class ReportView(MethodView):
        @roles(*report.readers)
        @blp.doc(summary=report.summary)
        @blp.arguments(report.query, location="query")
        @blp.response(200, report.row(many=True), description=ANSWER)
        @blp.alt_response(200, schema=FILE, content_type=CSV_MIME, success=True,
                          description=ANSWER)
        @blp.alt_response(200, schema=FILE, content_type=XLSX_MIME, success=True,
                          description=ANSWER)
        def get(self, query):
            rows = report.rows(db_session(), current_principal(), query)
            if query["format"] == "json":
                return rows
            return export(query["format"], report.filename, columns,
                          [[row.get(c) for c in columns] for row in rows],
                          cell=reports.cell, quote_filename=False)

    blp.route(report.path, endpoint=report.endpoint)(ReportView)


ANALYSTS = ("service", "analyst", "planner")
REPORTS = (
    Report("/unit-scores", "UnitScores",
           "Per unit: n, mean, sample SD, min, max of visit scores (0..100) in the window.",
           ANALYSTS, WindowQuerySchema, UnitScoreSchema,
           lambda session, _who, q: reports.unit_scores(session, q["from_"], q["to"]),
           "unit-scores"),
    Report("/discrepancy-rates", "DiscrepancyRates",
           "Per unit: measured items compared with a self-report and how many differ\n"
           "beyond tolerance.", ANALYSTS, WindowQuerySchema, DiscrepancyRateSchema,
           lambda session, _who, q: reports.discrepancy_rates(session, q["from_"], q["to"]),
           "discrepancy-rates"),
    Report("/visit-scores", "VisitScores",
           "One row per counted visit, with its rule version; CSV/XLSX for spreadsheets.",
           ANALYSTS, WindowQuerySchema, VisitScoreRowSchema,
           lambda session, _who, q: reports.visit_scores(session, q["from_"], q["to"]),
           "visit-scores"),
    Report("/discrepancies", "Discrepancies",
           "Every measured item with its self-reported value, difference and verdict.",
           ANALYSTS, WindowQuerySchema, DiscrepancyRowSchema,
           lambda session, _who, q: reports.discrepancies(session, q["from_"], q["to"]),
           "discrepancies"),
    Report("/finding-counts", "FindingCounts",
           "Per unit: counted visits in the window and their findings by severity.",
           ANALYSTS, WindowQuerySchema, FindingCountSchema,
           lambda session, _who, q: reports.finding_counts(session, q["from_"], q["to"]),
           "finding-counts"),
)
for report in REPORTS:
    add_report(blp, report)
