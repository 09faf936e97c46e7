"""Marshmallow schemas of periods."""

from marshmallow import Schema, fields, validate

from services.scoring.models.periods import PERIOD_KINDS
from services.scoring.schemas import UtcDateTime


class PeriodSchema(Schema):
    code = fields.String(required=True)
    kind = fields.String(dump_only=True)
    starts_on = fields.Date(dump_only=True)
    ends_on = fields.Date(dump_only=True)
    state = fields.String(load_default="open", validate=validate.OneOf(("open", "closed")))
    deadline = UtcDateTime(allow_none=True, load_default=None)



class PeriodPatchSchema(Schema):
    state = fields.String(validate=validate.OneOf(("open", "closed")))
    deadline = fields.AwareDateTime()



class PeriodQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(PERIOD_KINDS))



class YearSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
