"""Marshmallow schemas of self-checks: the contract rows, versions, submissions,
imports and completeness."""

from marshmallow import Schema, fields, validate

from services.scoring.schemas import LINK, UtcDateTime


class SelfCheckQuerySchema(Schema):
    unit = fields.String()
    period = fields.String()



class SelfCheckHistoryQuerySchema(SelfCheckQuerySchema):
    indicator = fields.String()
    current = fields.Boolean(load_default=False, metadata={"description": "current versions only"})



class SelfCheckExportQuerySchema(SelfCheckQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))



class SelfCheckContractSchema(Schema):
    """CONTRACTS.md row: the current version of a self-reported value."""

    unit = fields.String()
    period = fields.String()
    indicator = fields.String()
    target = fields.Float(allow_none=True)
    actual = fields.Float(allow_none=True)
    unit_of_measure = fields.String()
    version = fields.Integer()



class SelfCheckVersionSchema(SelfCheckContractSchema):
    current = fields.Boolean()
    narrative = fields.String()
    evidence = fields.List(fields.String())
    submitted_at = UtcDateTime()
    submitted_by = fields.String()
    late = fields.Boolean()
    reason = fields.String(allow_none=True)



class SelfCheckItemSchema(Schema):
    indicator = fields.String(required=True)
    target = fields.Float(allow_none=True, load_default=None)
    actual = fields.Float(required=True, allow_none=False)
    unit_of_measure = fields.String(load_default="")
    narrative = fields.String(load_default="", validate=validate.Length(max=5000))
    evidence = fields.List(LINK, load_default=list)
    reason = fields.String(load_default="")



class SelfCheckSubmissionSchema(Schema):
    unit = fields.String(required=True)
    period = fields.String(required=True)
    reason = fields.String(load_default="", metadata={"description": "correction reason"})
    items = fields.List(fields.Nested(SelfCheckItemSchema), required=True,
                        validate=validate.Length(min=1, max=500))



class SelfCheckResultSchema(Schema):
    period = fields.String()
    values = fields.Integer()
    corrections = fields.Integer()
    late = fields.Integer()
    units = fields.Integer()



class SelfCheckImportQuerySchema(Schema):
    period = fields.String(required=True)
    reason = fields.String(load_default="")



class CompletenessQuerySchema(Schema):
    period = fields.String(required=True)


class MonthCompletenessSchema(Schema):
    period = fields.String()
    defined = fields.Boolean()
    units = fields.Integer()
    expected_values = fields.Integer()
    units_reporting = fields.Integer()
    values = fields.Integer()
    late = fields.Integer()
    corrected = fields.Integer()
    units_late = fields.Integer()
    completeness = fields.Float(allow_none=True)


class CompletenessSchema(Schema):
    """Per month of a period: units reporting, values against expected, late, corrected."""

    period = fields.String()
    months = fields.List(fields.Nested(MonthCompletenessSchema))


class IndicatorQuerySchema(Schema):
    unit = fields.String(metadata={"description": "only the indicators this unit's kind reports"})


class SelfCheckIndicatorSchema(Schema):
    """A self-check indicator: what a unit reports, in which unit, within which range."""

    id = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    unit_of_measure = fields.String()
    direction = fields.String()
    allow_negative = fields.Boolean()
    minimum = fields.Float(allow_none=True, metadata={"description": "lowest accepted value"})
    maximum = fields.Float(allow_none=True, metadata={"description": "highest accepted value "
                                                                     "(none: not checked)"})
    kinds = fields.List(fields.String(), metadata={"description": "unit kinds that report it "
                                                                  "(empty: all)"})
