"""Poll schemas."""

from marshmallow import Schema, fields, validate

from services.survey.models.polls import MODES, POLL_STATUSES


class PollTownshipIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    target_completes = fields.Integer(load_default=0, validate=validate.Range(min=0))


class StratumQuotaIn(Schema):
    township = fields.String(required=True)
    stratum = fields.String(required=True, validate=validate.Length(min=1, max=60))
    target_completes = fields.Integer(required=True, validate=validate.Range(min=0))


class PollIn(Schema):
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    questionnaire_id = fields.Integer(required=True)
    modes = fields.List(fields.String(validate=validate.OneOf(MODES)), required=True,
                        validate=validate.Length(min=1))
    field_start = fields.Date(required=True)
    field_end = fields.Date(required=True)
    townships = fields.List(fields.Nested(PollTownshipIn), required=True,
                            validate=validate.Length(min=1))
    quotas = fields.List(fields.Nested(StratumQuotaIn), load_default=list)
    stratum_question = fields.String(load_default=None, allow_none=True)
    partial_threshold = fields.Float(load_default=0.5, validate=validate.Range(min=0, max=1))
    stop_at_quota = fields.Boolean(load_default=False)


class PollTownshipOut(Schema):
    code = fields.String(attribute="township")
    target_completes = fields.Integer()


class StratumQuotaOut(Schema):
    township = fields.String()
    stratum = fields.String()
    target_completes = fields.Integer()


class PollOut(Schema):
    id = fields.Integer()
    name_zh = fields.String()
    name_en = fields.String()
    questionnaire_id = fields.Integer()
    modes = fields.List(fields.String())
    field_start = fields.Date()
    field_end = fields.Date()
    status = fields.String()
    townships = fields.List(fields.Nested(PollTownshipOut))
    quotas = fields.List(fields.Nested(StratumQuotaOut))
    stratum_question = fields.String(allow_none=True)
    partial_threshold = fields.Float()
    stop_at_quota = fields.Boolean()
    created_at = fields.DateTime()
    opened_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    margins_fetched_at = fields.DateTime(allow_none=True)


class PollQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(POLL_STATUSES))


class QuotaStratumOut(Schema):
    stratum = fields.String()
    target_completes = fields.Integer()
    completes = fields.Integer()
    filled = fields.Boolean()


class QuotaOut(Schema):
    township = fields.String()
    target_completes = fields.Integer()
    completes = fields.Integer()
    filled = fields.Boolean()
    strata = fields.List(fields.Nested(QuotaStratumOut))


class MarginOut(Schema):
    township = fields.String()
    variable = fields.String()
    category = fields.String()
    count = fields.Float()
