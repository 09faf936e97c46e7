"""Schemas of AAPOR dispositions: a poll's list, and coding one by hand."""

from marshmallow import Schema, fields


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
