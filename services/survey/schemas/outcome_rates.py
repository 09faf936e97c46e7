"""AAPOR outcome-rate schemas."""

from marshmallow import Schema, fields, validate

from .downloads import DownloadQuery


class OutcomeQuery(Schema):
    e = fields.Float(load_default=None, validate=validate.Range(min=0, max=1))


class OutcomeExportQuery(DownloadQuery, OutcomeQuery):
    pass


class OutcomeEntry(Schema):
    """A township's (or all townships') counts per category and rates: a rate that cannot
    be computed is None with a reason; ``e`` is the one used."""

    township = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rates = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    e = fields.Float(allow_none=True)
    e_method = fields.String()
    reasons = fields.Dict(keys=fields.String(), values=fields.String())


class OutcomeRatesOut(Schema):
    poll_id = fields.Integer()
    e_given = fields.Float(allow_none=True)
    townships = fields.List(fields.Nested(OutcomeEntry))
    overall = fields.Nested(OutcomeEntry)
    unassigned = fields.Integer()
