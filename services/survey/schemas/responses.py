"""Schemas of a poll's responses: interviews with their answers (no contact identity)."""

from marshmallow import Schema, fields


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
