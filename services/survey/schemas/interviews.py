"""Schemas for links, interviews, answers, dispositions and contacts."""

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


class AnswerOut(Schema):
    question_id = fields.String()
    value = fields.Raw(allow_none=True)
    answered_at = fields.DateTime()
    updated_at = fields.DateTime()


class InterviewOut(Schema):
    """What analysts see: no contact identity."""

    id = fields.Integer()
    poll_id = fields.Integer()
    mode = fields.String()
    township = fields.String(allow_none=True)
    stratum = fields.String(allow_none=True)
    cluster = fields.String(allow_none=True)
    status = fields.String()
    disposition = fields.String()
    language = fields.String()
    external_ref = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    answers = fields.List(fields.Nested(AnswerOut))


class InterviewQuery(Schema):
    township = fields.String(load_default=None)
    status = fields.String(load_default=None)


class DispositionIn(Schema):
    disposition = fields.String(required=True)


class DispositionOut(Schema):
    interview_id = fields.Integer(attribute="id")
    mode = fields.String()
    township = fields.String(allow_none=True)
    stratum = fields.String(allow_none=True)
    status = fields.String()
    disposition = fields.String()
    category = fields.String()
    label_en = fields.String()
    label_zh = fields.String()


class ContactOut(Schema):
    interview_id = fields.Integer()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ExportQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class PaperImportIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "keyed-in forms, .csv or .xlsx"})
