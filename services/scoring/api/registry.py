"""Registry endpoints: peer groups, units, township margins, registry versions."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import registry
from services.scoring.api.uploads import EXPORT_DOC, SPREADSHEET_BODY
from services.scoring.schemas.registry import (
    ChangeQuerySchema,
    ExportQuerySchema,
    ImportResultSchema,
    MarginImportResultSchema,
    MarginQuerySchema,
    MarginSchema,
    PeerGroupPatchSchema,
    PeerGroupSchema,
    RegistryChangeSchema,
    RegistryVersionSchema,
    SnapshotQuerySchema,
    UnitOutSchema,
    UnitPatchSchema,
    UnitQuerySchema,
    UnitSchema,
)
from services.scoring.spreadsheets import export, read_table, uploaded_file
from shared.auth import ROLES, current_principal, roles
from shared.db import db_session

blp = Blueprint("registry", __name__, description="Units, peer groups, township margins; "
                                                  "every change is a registry version")
READERS = ("planner", "analyst", "service")


def _actor() -> str:
    return current_principal().sub


def _table(required, optional=()):
    return read_table(*uploaded_file(), required, optional)


@blp.route("/peer-groups")
class PeerGroups(MethodView):
    @roles(*ROLES)
    @blp.response(200, PeerGroupSchema(many=True))
    def get(self):
        """Peer groups by code."""
        return registry.list_peer_groups(db_session())

    @roles("planner")
    @blp.arguments(PeerGroupSchema)
    @blp.response(201, PeerGroupSchema)
    def post(self, data):
        """Create a peer group (409 when the code exists)."""
        return registry.save_peer_group(db_session(), data, _actor(), create_only=True)


@blp.route("/peer-groups/<code>")
class PeerGroupByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, PeerGroupSchema)
    def get(self, code):
        return registry.get_peer_group(db_session(), code)

    @roles("planner")
    @blp.arguments(PeerGroupPatchSchema)
    @blp.response(200, PeerGroupSchema)
    def patch(self, data, code):
        """Change names or description."""
        group = registry.get_peer_group(db_session(), code)
        merged = {**registry.peer_group_dict(group), **data}
        return registry.save_peer_group(db_session(), merged, _actor())

    @roles("planner")
    @blp.response(204)
    def delete(self, code):
        """Delete an empty peer group (409 while it has units)."""
        registry.delete_peer_group(db_session(), code, _actor())


@blp.route("/peer-groups/import")
class PeerGroupImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, ImportResultSchema)
    def post(self):
        """Create or update peer groups from CSV/XLSX: code, name_zh, name_en, description."""
        table = _table(("code", "name_zh", "name_en"), ("description",))
        return registry.import_peer_groups(db_session(), table, _actor())


@blp.route("/peer-groups/export")
class PeerGroupExport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        rows = [[g.code, g.name_zh, g.name_en, g.description]
                for g in registry.list_peer_groups(db_session())]
        return export(args["format"], "peer_groups", registry.PEER_GROUP_COLUMNS, rows)


@blp.route("/units")
class Units(MethodView):
    @roles(*ROLES)
    @blp.arguments(UnitQuerySchema, location="query")
    @blp.response(200, UnitOutSchema(many=True))
    def get(self, args):
        """Units by code; `active=true` keeps those active today (or on `on`)."""
        units = registry.list_units(db_session(), args.get("kind"), args.get("active"),
                                    args.get("on"), args.get("peer_group"))
        return [registry.unit_dict(u) for u in units]

    @roles("planner")
    @blp.arguments(UnitSchema)
    @blp.response(201, UnitOutSchema)
    def post(self, data):
        """Create a unit (409 when the code exists)."""
        return registry.unit_dict(registry.save_unit(db_session(), data, _actor(),
                                                     create_only=True))


@blp.route("/units/<code>")
class UnitByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, UnitOutSchema)
    def get(self, code):
        """One unit; 404 when unknown."""
        return registry.unit_dict(registry.get_unit(db_session(), code))

    @roles("planner")
    @blp.arguments(UnitPatchSchema)
    @blp.response(200, UnitOutSchema)
    def patch(self, data, code):
        """Change some fields of a unit."""
        return registry.unit_dict(registry.save_unit(db_session(), {**data, "code": code},
                                                     _actor(), partial=True))

    @roles("planner")
    @blp.response(204)
    def delete(self, code):
        """Delete a unit nothing refers to (409 otherwise; end it with active_to)."""
        registry.delete_unit(db_session(), code, _actor())


@blp.route("/units/import")
class UnitImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, ImportResultSchema)
    def post(self):
        """Create or update units from CSV/XLSX, all or nothing.

        Columns: code, name_zh, name_en, kind, peer_group, active_from, active_to, lat, lon.
        """
        table = _table(("code", "name_zh", "name_en", "kind"),
                       ("peer_group", "active_from", "active_to", "lat", "lon"))
        return registry.import_units(db_session(), table, _actor())


@blp.route("/units/export")
class UnitExport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        rows = [[registry.unit_dict(u)[c] for c in registry.UNIT_COLUMNS]
                for u in registry.list_units(db_session())]
        return export(args["format"], "units", registry.UNIT_COLUMNS, rows)


@blp.route("/units/<code>/margins")
class UnitMargins(MethodView):
    @roles("planner")
    @blp.arguments(MarginSchema(many=True))
    @blp.response(200, MarginSchema(many=True))
    def put(self, rows, code):
        """Replace all population margins of a township."""
        return registry.replace_margins(db_session(), code, rows, _actor())


@blp.route("/margins")
class Margins(MethodView):
    @roles(*READERS)
    @blp.arguments(MarginQuerySchema, location="query")
    @blp.response(200, MarginSchema(many=True))
    def get(self, args):
        """Township population margins; a joint margin has variable `age_band*sex`."""
        return registry.list_margins(db_session(), args.get("unit"))


@blp.route("/margins/import")
class MarginImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, MarginImportResultSchema)
    def post(self):
        """Replace the margins of each township in the file: unit, variable, category, count."""
        return registry.import_margins(db_session(), _table(registry.MARGIN_COLUMNS), _actor())


@blp.route("/margins/export")
class MarginExport(MethodView):
    @roles(*READERS)
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        rows = [[m[c] for c in registry.MARGIN_COLUMNS]
                for m in registry.list_margins(db_session())]
        return export(args["format"], "margins", registry.MARGIN_COLUMNS, rows)


@blp.route("/registry/version")
class RegistryVersion(MethodView):
    @roles(*READERS)
    @blp.response(200, RegistryVersionSchema)
    def get(self):
        """The current registry version (last change id) and a hash of its content."""
        return registry.registry_version(db_session())


@blp.route("/registry/changes")
class RegistryChanges(MethodView):
    @roles(*READERS)
    @blp.arguments(ChangeQuerySchema, location="query")
    @blp.response(200, RegistryChangeSchema(many=True))
    def get(self, args):
        """Changes after version `since`: who, when, what, and the state after."""
        return registry.list_changes(db_session(), args["since"], args["limit"])


@blp.route("/registry/snapshot")
class RegistrySnapshot(MethodView):
    @roles(*READERS)
    @blp.arguments(SnapshotQuerySchema, location="query")
    @blp.response(200)
    def get(self, args):
        """The registry as it was at `version` (default now): peer groups, units, margins."""
        return registry.snapshot(db_session(), args.get("version"))
