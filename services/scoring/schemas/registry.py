"""Marshmallow schemas of the registry: peer groups, units, margins, changes."""

from datetime import UTC

from marshmallow import Schema, fields, validate

from services.scoring.models.registry import UNIT_KINDS


class UtcDateTime(fields.DateTime):
    """ISO 8601 with offset; SQLite hands back naive UTC, which is marked as UTC here."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$", error="1-40 letters, digits, '_', '.', '-'")


class PeerGroupSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")


class PeerGroupPatchSchema(Schema):
    name_zh = fields.String(validate=validate.Length(min=1, max=200))
    name_en = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String()


class UnitSchema(Schema):
    """A unit as CONTRACTS.md gives it; dates are ISO strings, lat/lon may be null."""

    code = fields.String(required=True, validate=CODE)
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    peer_group = fields.String(allow_none=True, load_default=None)
    active_from = fields.Date(allow_none=True, load_default=None)
    active_to = fields.Date(allow_none=True, load_default=None)
    lat = fields.Float(allow_none=True, load_default=None)
    lon = fields.Float(allow_none=True, load_default=None)


class UnitOutSchema(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    kind = fields.String()
    peer_group = fields.String(allow_none=True)
    active_from = fields.String(allow_none=True)
    active_to = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class UnitPatchSchema(Schema):
    name_zh = fields.String(validate=validate.Length(min=1, max=200))
    name_en = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(UNIT_KINDS))
    peer_group = fields.String(allow_none=True)
    active_from = fields.Date(allow_none=True)
    active_to = fields.Date(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class UnitQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(UNIT_KINDS))
    active = fields.Boolean()
    on = fields.Date(metadata={"description": "day for `active` (default today)"})
    peer_group = fields.String()


class MarginSchema(Schema):
    unit = fields.String(dump_only=True)
    variable = fields.String(required=True, validate=validate.Length(min=1, max=100))
    category = fields.String(required=True, validate=validate.Length(min=1, max=100))
    count = fields.Float(required=True, validate=validate.Range(min=0))


class MarginQuerySchema(Schema):
    unit = fields.String()


class RegistryChangeSchema(Schema):
    version = fields.Integer(attribute="id")
    changed_at = UtcDateTime()
    actor = fields.String()
    action = fields.String()
    entity = fields.String()
    key = fields.String(attribute="entity_key")
    note = fields.String()
    after = fields.Raw(allow_none=True)


class ChangeQuerySchema(Schema):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class RegistryVersionSchema(Schema):
    version = fields.Integer()
    changed_at = UtcDateTime(allow_none=True)
    sha256 = fields.String()


class SnapshotQuerySchema(Schema):
    version = fields.Integer(validate=validate.Range(min=0))


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class ImportResultSchema(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()


class MarginImportResultSchema(Schema):
    rows = fields.Integer()
    units = fields.Integer(metadata={"description": "townships whose margins were replaced"})
