"""Schemas of one-time web links and the contacts of the sample members they invite."""

from marshmallow import Schema, fields, validate


class ContactIn(Schema):
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    phone = fields.String(load_default=None, validate=validate.Length(max=40))
    email = fields.String(load_default=None, validate=validate.Length(max=200))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class LinksIn(Schema):
    count = fields.Integer(load_default=None, validate=validate.Range(min=1, max=10000))
    township = fields.String(load_default=None)
    stratum = fields.String(load_default=None, validate=validate.Length(max=60))
    cluster = fields.String(load_default=None, validate=validate.Length(max=60))
    contacts = fields.List(fields.Nested(ContactIn), load_default=list,
                           validate=validate.Length(max=10000))
    expires_in_days = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=366),
        metadata={"description": "days until the links expire; default: the end of the "
                                 "poll's field period (midnight after field_end, county time)"})


class LinkOut(Schema):
    interview_id = fields.Integer()
    token = fields.String()
    url = fields.String()
    township = fields.String(allow_none=True)
    stratum = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)


class LinksOut(Schema):
    poll_id = fields.Integer()
    links = fields.List(fields.Nested(LinkOut))


class ContactOut(Schema):
    interview_id = fields.Integer()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
