"""Scores and discrepancies for the scoring service and for staff spreadsheets."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import reports
from services.inspection.schemas.report import (
    DiscrepancyRateSchema,
    DiscrepancyRowSchema,
    UnitScoreSchema,
    VisitScoreRowSchema,
    WindowQuerySchema,
)
from shared.auth import roles
from shared.db import db_session

blp = Blueprint("reports", __name__, description="Inspection scores and discrepancies")
ROLES = ("service", "analyst", "planner")


def _table(rows, schema, query, name):
    if query["format"] == "json":
        return rows
    columns = list(schema().fields)
    return reports.table_response(rows, columns, query["format"], name)


@blp.route("/unit-scores")
class UnitScores(MethodView):
    @roles(*ROLES)
    @blp.arguments(WindowQuerySchema, location="query")
    @blp.response(200, UnitScoreSchema(many=True))
    def get(self, query):
        """Per unit: n, mean, sample SD, min, max of visit scores (0..100) in the window."""
        rows = reports.unit_scores(db_session(), query["from_"], query["to"])
        return _table(rows, UnitScoreSchema, query, "unit-scores")


@blp.route("/discrepancy-rates")
class DiscrepancyRates(MethodView):
    @roles(*ROLES)
    @blp.arguments(WindowQuerySchema, location="query")
    @blp.response(200, DiscrepancyRateSchema(many=True))
    def get(self, query):
        """Per unit: measured items compared with a self-report and how many differ
        beyond tolerance."""
        rows = reports.discrepancy_rates(db_session(), query["from_"], query["to"])
        return _table(rows, DiscrepancyRateSchema, query, "discrepancy-rates")


@blp.route("/visit-scores")
class VisitScores(MethodView):
    @roles(*ROLES)
    @blp.arguments(WindowQuerySchema, location="query")
    @blp.response(200, VisitScoreRowSchema(many=True))
    def get(self, query):
        """One row per counted visit, with its rule version; CSV/XLSX for spreadsheets."""
        rows = reports.visit_scores(db_session(), query["from_"], query["to"])
        return _table(rows, VisitScoreRowSchema, query, "visit-scores")


@blp.route("/discrepancies")
class Discrepancies(MethodView):
    @roles(*ROLES)
    @blp.arguments(WindowQuerySchema, location="query")
    @blp.response(200, DiscrepancyRowSchema(many=True))
    def get(self, query):
        """Every measured item with its self-reported value, difference and verdict."""
        rows = reports.discrepancies(db_session(), query["from_"], query["to"])
        return _table(rows, DiscrepancyRowSchema, query, "discrepancies")
