"""Registry endpoints: peer groups, units, township margins, registry versions."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import registry
from services.scoring.schemas import ExportQuerySchema
from services.scoring.schemas import registry as schemas
from services.scoring.schemas.files import SPREADSHEET_BODY, downloads
from services.scoring.spreadsheets import export_cell
from shared.auth import ROLES, current_principal, roles
from shared.db import db_session
from shared.spreadsheets import export, uploaded_file

blp = Blueprint("registry", __name__, description="Units, peer groups, township margins; "
                                                  "every change is a registry version")
READERS = ("planner", "analyst", "service")


@blp.route("/peer-groups")
class PeerGroups(MethodView):
    @roles(*ROLES)
    @blp.response(200, schemas.PeerGroupSchema(many=True))
    def get(self):
        """Peer groups by code."""
        return registry.list_peer_groups(db_session())

    @roles("planner")
    @blp.arguments(schemas.PeerGroupSchema)
    @blp.response(201, schemas.PeerGroupSchema)
    def post(self, data):
        """Create a peer group (409 when the code exists)."""
        return registry.save_peer_group(db_session(), data, current_principal().sub,
                                        create_only=True)


@blp.route("/peer-groups/<code>")
class PeerGroupByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, schemas.PeerGroupSchema)
    def get(self, code):
        return registry.get_peer_group(db_session(), code)

    @roles("planner")
    @blp.arguments(schemas.PeerGroupPatchSchema)
    @blp.response(200, schemas.PeerGroupSchema)
    def patch(self, data, code):
        """Change names or description."""
        return registry.update_peer_group(db_session(), code, data, current_principal().sub)

    @roles("planner")
    @blp.response(204)
    def delete(self, code):
        """Delete an empty peer group (409 while it has units)."""
        registry.delete_peer_group(db_session(), code, current_principal().sub)


@blp.route("/peer-groups/import")
class PeerGroupImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, schemas.ImportResultSchema)
    def post(self):
        """Create or update peer groups from CSV/XLSX: code, name_zh, name_en, description."""
        return registry.import_peer_groups(db_session(), *uploaded_file(),
                                           current_principal().sub)


@blp.route("/peer-groups/export")
class PeerGroupExport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @downloads(blp)
    def get(self, args):
        return export(args["format"], *registry.peer_group_sheet(db_session()), cell=export_cell)


@blp.route("/units")
class Units(MethodView):
    @roles(*ROLES)
    @blp.arguments(schemas.UnitQuerySchema, location="query")
    @blp.response(200, schemas.UnitOutSchema(many=True))
    def get(self, args):
        """Units by code; `active=true` keeps those active today (or on `on`)."""
        return registry.list_units(db_session(), args.get("kind"), args.get("active"),
                                   args.get("on"), args.get("peer_group"))

    @roles("planner")
    @blp.arguments(schemas.UnitSchema)
    @blp.response(201, schemas.UnitOutSchema)
    def post(self, data):
        """Create a unit (409 when the code exists)."""
        return registry.save_unit(db_session(), data, current_principal().sub, create_only=True)


@blp.route("/units/<code>")
class UnitByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, schemas.UnitOutSchema)
    def get(self, code):
        """One unit; 404 when unknown."""
        return registry.get_unit(db_session(), code)

    @roles("planner")
    @blp.arguments(schemas.UnitPatchSchema)
    @blp.response(200, schemas.UnitOutSchema)
    def patch(self, data, code):
        """Change some fields of a unit."""
        return registry.save_unit(db_session(), {**data, "code": code}, current_principal().sub,
                                  partial=True)

    @roles("planner")
    @blp.response(204)
    def delete(self, code):
        """Delete a unit nothing refers to (409 otherwise; end it with active_to)."""
        registry.delete_unit(db_session(), code, current_principal().sub)


@blp.route("/units/import")
class UnitImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, schemas.ImportResultSchema)
    def post(self):
        """Create or update units from CSV/XLSX, all or nothing.

        Columns: code, name_zh, name_en, kind, peer_group, active_from, active_to, lat, lon.
        """
        return registry.import_units(db_session(), *uploaded_file(), current_principal().sub)


@blp.route("/units/export")
class UnitExport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @downloads(blp)
    def get(self, args):
        return export(args["format"], *registry.unit_sheet(db_session()), cell=export_cell)


@blp.route("/units/<code>/margins")
class UnitMargins(MethodView):
    @roles("planner")
    @blp.arguments(schemas.MarginSchema(many=True))
    @blp.response(200, schemas.MarginSchema(many=True))
    def put(self, rows, code):
        """Replace all population margins of a township."""
        return registry.replace_margins(db_session(), code, rows, current_principal().sub)


@blp.route("/margins")
class Margins(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.MarginQuerySchema, location="query")
    @blp.response(200, schemas.MarginSchema(many=True))
    def get(self, args):
        """Township population margins; a joint margin has variable `age_band*sex`."""
        return registry.list_margins(db_session(), args.get("unit"))


@blp.route("/margins/import")
class MarginImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, schemas.MarginImportResultSchema)
    def post(self):
        """Replace the margins of each township in the file: unit, variable, category, count."""
        return registry.import_margins(db_session(), *uploaded_file(), current_principal().sub)


@blp.route("/margins/export")
class MarginExport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @downloads(blp)
    def get(self, args):
        return export(args["format"], *registry.margin_sheet(db_session()), cell=export_cell)


@blp.route("/registry/version")
class RegistryVersion(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.RegistryVersionSchema)
    def get(self):
        """The current registry version (last change id) and a hash of its content."""
        return registry.registry_version(db_session())


@blp.route("/registry/changes")
class RegistryChanges(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.ChangeQuerySchema, location="query")
    @blp.response(200, schemas.RegistryChangeSchema(many=True))
    def get(self, args):
        """Changes after version `since`: who, when, what, and the state after."""
        return registry.list_changes(db_session(), args["since"], args["limit"])


@blp.route("/registry/snapshot")
class RegistrySnapshot(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.SnapshotQuerySchema, location="query")
    @blp.response(200, schemas.RegistrySnapshotSchema)
    def get(self, args):
        """The registry as it was at `version` (default now): peer groups, units, margins."""
        return registry.snapshot(db_session(), args.get("version"))
