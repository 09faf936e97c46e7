"""Direct indicator values imported from other systems."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import direct_values
from services.scoring.api.uploads import SPREADSHEET_BODY
from services.scoring.schemas.intake import (
    DirectImportSchema,
    DirectQuerySchema,
    DirectValueSchema,
    SourceLabelQuerySchema,
)
from services.scoring.spreadsheets import export, read_table, uploaded_file
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("direct_values", __name__, description="Indicator values from other systems")


@blp.route("/direct-values")
class DirectValues(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(DirectQuerySchema, location="query")
    @blp.response(200, DirectValueSchema(many=True))
    def get(self, args):
        """Imported values; `format=csv|xlsx` downloads them."""
        rows = direct_values.list_values(db_session(), args.get("period"), args.get("unit"),
                                         args.get("indicator"))
        if args["format"] != "json":
            return export(args["format"], "direct_values", direct_values.EXPORT_COLUMNS,
                          [[r[c] for c in direct_values.EXPORT_COLUMNS] for r in rows])
        return rows

    @roles("planner", "service")
    @blp.arguments(DirectImportSchema)
    @blp.response(201)
    def post(self, data):
        """Import values as JSON with a source label, all or nothing."""
        return direct_values.import_json(db_session(), data["values"], data["source_label"],
                                         current_principal().sub)


@blp.route("/direct-values/import")
class DirectValueImport(MethodView):
    @roles("planner", "service")
    @blp.arguments(SourceLabelQuerySchema, location="query")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(201)
    def post(self, args):
        """Import CSV/XLSX: unit, period, indicator, value, optional source_label column
        (or `?source_label=` for every row)."""
        table = read_table(*uploaded_file(), direct_values.REQUIRED, direct_values.OPTIONAL)
        return direct_values.import_table(db_session(), table, args["source_label"],
                                          current_principal().sub)
