"""Estimate schemas (the estimates row is the scoring contract, docs/CONTRACTS.md)."""

from marshmallow import Schema, fields, validate

from .downloads import DownloadQuery


class EstimateQuery(Schema):
    level = fields.Float(load_default=0.95, validate=validate.Range(min=0.5, max=0.999))
    rake = fields.Boolean(load_default=True)
    tol = fields.Float(load_default=1e-8, validate=validate.Range(min=1e-14, max=1e-2))
    max_iter = fields.Integer(load_default=500, validate=validate.Range(min=1, max=10000))
    trim_lower = fields.Float(load_default=None, validate=validate.Range(min=0, max=1))
    trim_upper = fields.Float(load_default=None, validate=validate.Range(min=1))
    overall = fields.Boolean(load_default=False)
    include_partials = fields.Boolean(load_default=True)
    township = fields.String(load_default=None)
    question = fields.String(load_default=None)


class EstimateExportQuery(DownloadQuery, EstimateQuery):
    pass


class EstimateRow(Schema):
    township = fields.String()
    question = fields.String()
    statistic = fields.String()
    category = fields.String(allow_none=True)
    estimate = fields.Float(allow_none=True)
    se = fields.Float(allow_none=True)
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)
    n = fields.Integer()
    n_eff = fields.Float(allow_none=True)
    deff = fields.Float(allow_none=True)


class EstimatesOut(Schema):
    poll_id = fields.Integer()
    method = fields.Dict()
    rows = fields.List(fields.Nested(EstimateRow))
