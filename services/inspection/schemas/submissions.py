"""Submission schemas: answers and findings in, the stored version out."""

from marshmallow import Schema, fields, validate

from services.inspection.models.submissions import SEVERITIES
from services.inspection.schemas.checklists import ITEM_ID


class AnswerSchema(Schema):
    item_id = fields.String(required=True, validate=ITEM_ID)
    result = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("pass", "fail", "na")))
    points = fields.Float(load_default=None, allow_none=True)
    value = fields.Float(load_default=None, allow_none=True,
                         metadata={"description": "measured value, in the item's unit"})
    self_reported = fields.Float(load_default=None, allow_none=True,
                                 metadata={"description": "the unit's reported value; default "
                                                          "the self-check fetched at check-in"})
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class FindingInSchema(Schema):
    ref = fields.String(load_default=None, validate=validate.Length(1, 80))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    item_id = fields.String(load_default=None, allow_none=True, validate=ITEM_ID)
    description = fields.String(required=True, validate=validate.Length(1, 5000))


class SubmitSchema(Schema):
    client_uuid = fields.UUID(required=True,
                              metadata={"description": "idempotency key chosen by the device"})
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    findings = fields.List(fields.Nested(FindingInSchema), load_default=list)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class AmendSchema(SubmitSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class AnswerOutSchema(AnswerSchema):
    discrepant = fields.Boolean(allow_none=True)
    score = fields.Float(allow_none=True)
    max_score = fields.Float(allow_none=True)


class FindingSchema(Schema):
    id = fields.Integer()
    ref = fields.String()
    severity = fields.String()
    item_id = fields.String(allow_none=True)
    description = fields.String()


class VersionSchema(Schema):
    version = fields.Integer()
    client_uuid = fields.String()
    reason = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    submitted_by = fields.String()
    submitted_at = fields.DateTime()
    score = fields.Float(allow_none=True)
    score_raw = fields.Float(allow_none=True)
    capped = fields.Boolean()
    rule_version = fields.String()
    answers = fields.List(fields.Nested(AnswerOutSchema), attribute="responses")
    findings = fields.List(fields.Nested(FindingSchema))
