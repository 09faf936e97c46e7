"""Marshmallow schemas of the registry: peer groups, units, margins, changes."""

from marshmallow import Schema, fields, validate

from services.scoring.models.registry import UNIT_KINDS
from services.scoring.schemas import CODE, UtcDateTime


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
    peer_group = fields.String(allow_none=True, attribute="peer_group_code")
    active_from = fields.Date(allow_none=True)
    active_to = fields.Date(allow_none=True)
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
    unit = fields.String(dump_only=True, attribute="unit_code")
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


class RegistrySnapshotSchema(Schema):
    """The registry as it was at a version: each entity's state after its last change."""

    version = fields.Integer()
    peer_groups = fields.List(fields.Dict())
    units = fields.List(fields.Dict())
    margins = fields.List(fields.Dict())


class ImportResultSchema(Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()


class MarginImportResultSchema(Schema):
    rows = fields.Integer()
    units = fields.Integer(metadata={"description": "townships whose margins were replaced"})
