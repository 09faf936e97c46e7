"""Marshmallow schemas of direct indicator values."""

from marshmallow import Schema, fields, validate

from services.scoring.schemas import UtcDateTime


class DirectValueSchema(Schema):
    unit = fields.String(required=True)
    period = fields.String(required=True)
    indicator = fields.String(required=True)
    value = fields.Float(required=True)
    source_label = fields.String(load_default="")
    imported_at = UtcDateTime(dump_only=True)
    imported_by = fields.String(dump_only=True)



class DirectImportSchema(Schema):
    source_label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    values = fields.List(fields.Nested(DirectValueSchema), required=True,
                         validate=validate.Length(min=1, max=50_000))



class DirectImportResultSchema(Schema):
    values = fields.Integer()
    created = fields.Integer()
    replaced = fields.Integer()


class DirectQuerySchema(Schema):
    unit = fields.String()
    period = fields.String()
    indicator = fields.String()
    format = fields.String(validate=validate.OneOf(("json", "csv", "xlsx")), load_default="json")



class SourceLabelQuerySchema(Schema):
    source_label = fields.String(load_default="")
