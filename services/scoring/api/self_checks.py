"""Self-check endpoints: the contract read, submissions, month upload, history, export."""

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import self_checks
from services.scoring.models import IdempotencyRecord
from services.scoring.reporters import readable_unit, reporter
from services.scoring.schemas import self_checks as schemas
from services.scoring.schemas.files import SPREADSHEET_BODY, downloads
from services.scoring.spreadsheets import export_cell, upload_payload
from shared.auth import current_principal, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent
from shared.spreadsheets import export, uploaded_file

blp = Blueprint("self_checks", __name__, description="Units' monthly self-check reports")
READERS = ("service", "planner", "analyst", "unit")


@blp.route("/self-checks")
class SelfChecks(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.SelfCheckQuerySchema, location="query")
    @blp.response(200, schemas.SelfCheckContractSchema(many=True))
    def get(self, args):
        """Current version of each self-reported value (a unit token: its own unit only)."""
        return self_checks.current_values(
            db_session(), readable_unit(current_principal(), args.get("unit")), args.get("period"))

    @roles("unit", "planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(schemas.SelfCheckSubmissionSchema)
    @blp.response(201, schemas.SelfCheckResultSchema)
    def post(self, data):
        """Submit values of one unit and month; an existing value needs a `reason`."""
        items = [{**item, "unit": data["unit"]} for item in data["items"]]
        return idempotent(IdempotencyRecord, "self-checks", data, lambda: self_checks.submit(
            db_session(), data["period"], items, reporter(current_principal()), data["reason"]),
            per_caller=True)


@blp.route("/self-checks/import")
class SelfCheckImport(MethodView):
    @roles("unit", "planner")
    @blp.arguments(schemas.SelfCheckImportQuerySchema, location="query")
    @blp.doc(**SPREADSHEET_BODY, **HEADER_DOC)
    @blp.response(201, schemas.SelfCheckResultSchema)
    def post(self, args):
        """Upload a whole month, all or nothing.

        Columns: unit, indicator, target, actual, and optionally unit_of_measure,
        narrative, evidence (links separated by spaces), reason (for corrections),
        submitted_at (staff only: the time a back-filled report was made).
        """
        filename, content = uploaded_file()
        return idempotent(IdempotencyRecord, "self-checks/import",
                          upload_payload(request.args.to_dict(), content),
                          lambda: self_checks.import_month(
                              db_session(), args["period"], filename, content,
                              reporter(current_principal()), args["reason"]), per_caller=True)


@blp.route("/self-checks/indicators")
class SelfCheckIndicators(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.IndicatorQuerySchema, location="query")
    @blp.response(200, schemas.SelfCheckIndicatorSchema(many=True))
    def get(self, args):
        """The self-check indicators with unit of measure and accepted range (a unit
        token: those of its own unit's kind)."""
        return self_checks.indicators(db_session(), readable_unit(current_principal(),
                                                                  args.get("unit")))


@blp.route("/self-checks/history")
class SelfCheckHistory(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.SelfCheckHistoryQuerySchema, location="query")
    @blp.response(200, schemas.SelfCheckVersionSchema(many=True))
    def get(self, args):
        """Every version with narrative, evidence, late flag and correction reason."""
        return self_checks.history(db_session(), readable_unit(current_principal(),
                                                               args.get("unit")),
                                   args.get("period"), args.get("indicator"), args["current"])


@blp.route("/self-checks/export")
class SelfCheckExport(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.SelfCheckExportQuerySchema, location="query")
    @downloads(blp)
    def get(self, args):
        """Current values as CSV or XLSX (a unit token: its own unit only)."""
        return export(args["format"], *self_checks.sheet(
            db_session(), readable_unit(current_principal(), args.get("unit")),
            args.get("period")), cell=export_cell)


@blp.route("/self-checks/completeness")
class SelfCheckCompleteness(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(schemas.CompletenessQuerySchema, location="query")
    @blp.response(200, schemas.CompletenessSchema)
    def get(self, args):
        """Per month of a period: units reporting, values against expected, late, corrected."""
        return self_checks.completeness(db_session(), args["period"])
