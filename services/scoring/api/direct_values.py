"""Direct indicator values imported from other systems."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import direct_values
from services.scoring.schemas import direct_values as schemas
from services.scoring.schemas.files import SPREADSHEET_BODY, downloads
from services.scoring.spreadsheets import export_cell
from shared.auth import current_principal, roles
from shared.db import db_session
from shared.spreadsheets import export, uploaded_file

blp = Blueprint("direct_values", __name__, description="Indicator values from other systems")


@blp.route("/direct-values")
class DirectValues(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(schemas.DirectQuerySchema, location="query")
    @blp.response(200, schemas.DirectValueSchema(many=True))
    @downloads(blp)
    def get(self, args):
        """Imported values; `format=csv|xlsx` downloads them."""
        where = (args.get("period"), args.get("unit"), args.get("indicator"))
        if args["format"] == "json":
            return direct_values.list_values(db_session(), *where)
        return export(args["format"], *direct_values.sheet(db_session(), *where),
                      cell=export_cell)

    @roles("planner", "service")
    @blp.arguments(schemas.DirectImportSchema)
    @blp.response(201, schemas.DirectImportResultSchema)
    def post(self, data):
        """Import values as JSON with a source label, all or nothing."""
        return direct_values.import_json(db_session(), data["values"], data["source_label"],
                                         current_principal().sub)


@blp.route("/direct-values/import")
class DirectValueImport(MethodView):
    @roles("planner", "service")
    @blp.arguments(schemas.SourceLabelQuerySchema, location="query")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(201, schemas.DirectImportResultSchema)
    def post(self, args):
        """Import CSV/XLSX: unit, period, indicator, value, optional source_label column
        (or `?source_label=` for every row)."""
        return direct_values.import_table(db_session(), *uploaded_file(), args["source_label"],
                                          current_principal().sub)
