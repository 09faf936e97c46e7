"""Self-check endpoints: the contract read, submissions, month upload, history, export."""

import hashlib

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import self_checks
from services.scoring.api.uploads import EXPORT_DOC, SPREADSHEET_BODY
from services.scoring.models import IdempotencyRecord
from services.scoring.schemas.intake import (
    CompletenessQuerySchema,
    SelfCheckContractSchema,
    SelfCheckExportQuerySchema,
    SelfCheckHistoryQuerySchema,
    SelfCheckImportQuerySchema,
    SelfCheckQuerySchema,
    SelfCheckResultSchema,
    SelfCheckSubmissionSchema,
    SelfCheckVersionSchema,
)
from services.scoring.spreadsheets import export, read_table, uploaded_file
from shared.auth import current_principal, require_unit, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("self_checks", __name__, description="Units' monthly self-check reports")
READERS = ("service", "planner", "analyst", "unit")


def submitter() -> self_checks.Submitter:
    """The caller as a writer: a unit token is scoped, staff may backfill times."""
    principal = current_principal()
    scoped = principal.unit if principal.role == "unit" else None
    return self_checks.Submitter(principal.sub, scoped, principal.role in ("admin", "planner"))


def upload_payload(filename: str, content: bytes) -> dict:
    """What identifies an upload for idempotency: the query and the file's hash."""
    return {"query": request.args.to_dict(), "file": hashlib.sha256(content).hexdigest()}


def scoped_unit(requested: str | None) -> str | None:
    """A unit token reads its own unit (the default); 403 for another."""
    principal = current_principal()
    if principal.role == "unit":
        requested = requested or principal.unit
        require_unit(requested)
    return requested


@blp.route("/self-checks")
class SelfChecks(MethodView):
    @roles(*READERS)
    @blp.arguments(SelfCheckQuerySchema, location="query")
    @blp.response(200, SelfCheckContractSchema(many=True))
    def get(self, args):
        """Current version of each self-reported value (a unit token: its own unit only)."""
        return self_checks.current_values(db_session(), scoped_unit(args.get("unit")),
                                         args.get("period"))

    @roles("unit", "planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(SelfCheckSubmissionSchema)
    @blp.response(201, SelfCheckResultSchema)
    def post(self, data):
        """Submit values of one unit and month; an existing value needs a `reason`."""
        items = [{**item, "unit": data["unit"]} for item in data["items"]]
        return idempotent(IdempotencyRecord, "self-checks", data, lambda: self_checks.submit(
            db_session(), data["period"], items, submitter(), data["reason"]), per_caller=True)


@blp.route("/self-checks/import")
class SelfCheckImport(MethodView):
    @roles("unit", "planner")
    @blp.arguments(SelfCheckImportQuerySchema, location="query")
    @blp.doc(**SPREADSHEET_BODY, **HEADER_DOC)
    @blp.response(201, SelfCheckResultSchema)
    def post(self, args):
        """Upload a whole month, all or nothing.

        Columns: unit, indicator, target, actual, and optionally unit_of_measure,
        narrative, evidence (links separated by spaces), reason (for corrections),
        submitted_at (staff only: the time a back-filled report was made).
        """
        filename, content = uploaded_file()

        def work():
            table = read_table(filename, content, self_checks.IMPORT_REQUIRED,
                               self_checks.IMPORT_OPTIONAL)
            return self_checks.import_month(db_session(), args["period"], table, submitter(),
                                           args["reason"])

        return idempotent(IdempotencyRecord, "self-checks/import",
                          upload_payload(filename, content), work, per_caller=True)


@blp.route("/self-checks/history")
class SelfCheckHistory(MethodView):
    @roles(*READERS)
    @blp.arguments(SelfCheckHistoryQuerySchema, location="query")
    @blp.response(200, SelfCheckVersionSchema(many=True))
    def get(self, args):
        """Every version with narrative, evidence, late flag and correction reason."""
        return self_checks.history(db_session(), scoped_unit(args.get("unit")),
                                  args.get("period"), args.get("indicator"), args["current"])


@blp.route("/self-checks/export")
class SelfCheckExport(MethodView):
    @roles(*READERS)
    @blp.arguments(SelfCheckExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        """Current values as CSV or XLSX (a unit token: its own unit only)."""
        rows = [[row[c] for c in self_checks.EXPORT_COLUMNS] for row in self_checks.history(
            db_session(), scoped_unit(args.get("unit")), args.get("period"), None, True)]
        return export(args["format"], "self_checks", self_checks.EXPORT_COLUMNS, rows)


@blp.route("/self-checks/completeness")
class SelfCheckCompleteness(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(CompletenessQuerySchema, location="query")
    @blp.response(200)
    def get(self, args):
        """Per month of a period: units reporting, values against expected, late, corrected."""
        return self_checks.completeness(db_session(), args["period"])
