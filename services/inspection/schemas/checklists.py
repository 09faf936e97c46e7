"""Checklist template schemas."""

from marshmallow import Schema, fields, validate

from services.inspection.models.checklists import RESPONSE_TYPES, TOLERANCE_KINDS

ITEM_ID = validate.Regexp(r"^[A-Za-z0-9_.:-]{1,80}$",
                          error="letters, digits and _ . : - only, at most 80")


class ChecklistItemSchema(Schema):
    item_id = fields.String(required=True, validate=ITEM_ID,
                            metadata={"description": "Stable id; the same as the scheme's "
                                                     "self-check indicator it checks"})
    text_zh = fields.String(required=True, validate=validate.Length(1, 500))
    text_en = fields.String(required=True, validate=validate.Length(1, 500))
    weight = fields.Float(load_default=1.0, validate=validate.Range(min=0))
    response_type = fields.String(required=True, validate=validate.OneOf(RESPONSE_TYPES))
    max_points = fields.Float(allow_none=True, load_default=None,
                              validate=validate.Range(min=0, min_inclusive=False))
    unit_of_measure = fields.String(allow_none=True, load_default=None,
                                    validate=validate.Length(1, 40))
    tolerance = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0))
    tolerance_kind = fields.String(allow_none=True, load_default=None,
                                   validate=validate.OneOf(TOLERANCE_KINDS))
    critical = fields.Boolean(load_default=False)
    photo_required = fields.Boolean(load_default=False)


class ChecklistInSchema(Schema):
    code = fields.String(required=True, validate=ITEM_ID)
    name_zh = fields.String(required=True, validate=validate.Length(1, 200))
    name_en = fields.String(required=True, validate=validate.Length(1, 200))
    critical_cap = fields.Float(load_default=60.0, validate=validate.Range(0, 100))
    items = fields.List(fields.Nested(ChecklistItemSchema), required=True,
                        validate=validate.Length(min=1, max=500))


class ChecklistSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    name_zh = fields.String()
    name_en = fields.String()
    critical_cap = fields.Float()
    scoring_rule_version = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    items = fields.List(fields.Nested(ChecklistItemSchema))


class ChecklistQuerySchema(Schema):
    code = fields.String(load_default=None)
