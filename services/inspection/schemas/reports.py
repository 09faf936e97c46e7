"""Schemas of scores and discrepancies (JSON, or the columns of a CSV/XLSX export)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class WindowQuerySchema(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))

    @validates_schema
    def _ordered(self, data, **_kwargs):
        if data["from_"] > data["to"]:
            raise ValidationError("must not be before 'from'", "to")


class UnitScoreSchema(Schema):
    unit = fields.String()
    n = fields.Integer()
    mean = fields.Float(allow_none=True)
    sd = fields.Float(allow_none=True, metadata={"description": "sample SD; null when n < 2"})
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    rule_version = fields.String(metadata={"description": "scoring rule of the visits counted "
                                                          "(comma-separated if several)"})


class DiscrepancyRateSchema(Schema):
    unit = fields.String()
    checked = fields.Integer()
    discrepant = fields.Integer()
    rate = fields.Float(allow_none=True)


class VisitScoreRowSchema(Schema):
    visit_id = fields.Integer()
    plan_id = fields.Integer()
    plan_kind = fields.String()
    unit = fields.String()
    inspector = fields.String()
    checkin_at = fields.DateTime()
    reference_date = fields.Date()
    status = fields.String()
    version = fields.Integer()
    score = fields.Float(allow_none=True)
    score_raw = fields.Float(allow_none=True)
    capped = fields.Boolean()
    rule_version = fields.String()


class DiscrepancyRowSchema(Schema):
    visit_id = fields.Integer()
    unit = fields.String()
    period = fields.String()
    item_id = fields.String()
    unit_of_measure = fields.String(allow_none=True)
    inspected = fields.Float()
    self_reported = fields.Float()
    difference = fields.Float()
    tolerance = fields.Float(allow_none=True)
    tolerance_kind = fields.String(allow_none=True)
    discrepant = fields.Boolean()


class FindingCountSchema(Schema):
    unit = fields.String()
    visits = fields.Integer(metadata={"description": "counted visits in the window"})
    minor = fields.Integer()
    major = fields.Integer()
    critical = fields.Integer()
    findings = fields.Integer(metadata={"description": "all findings of those visits"})
