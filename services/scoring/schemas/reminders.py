"""Marshmallow schemas of the units' reminder numbers and the reminders sent."""

from marshmallow import Schema, fields, validate

from services.scoring.schemas import UtcDateTime


class ContactInSchema(Schema):
    unit = fields.String(required=True, validate=validate.Length(min=1, max=40))
    number = fields.String(required=True, validate=validate.Length(min=3, max=40),
                           metadata={"description": "E.164 or a Chinese number"})
    name = fields.String(load_default="", validate=validate.Length(max=100))


class ContactSchema(Schema):
    id = fields.Integer()
    unit = fields.String(attribute="unit_code")
    name = fields.String()
    last_digits = fields.String(metadata={"description": "the number is never shown"})
    opted_out = fields.Boolean()
    opted_out_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class ContactQuerySchema(Schema):
    unit = fields.String()


class OptOutSchema(Schema):
    opted_out = fields.Boolean(required=True)


class ReminderQuerySchema(Schema):
    unit = fields.String()
    day = fields.Date()


class MessageSchema(Schema):
    to = fields.String()
    sid = fields.String(allow_none=True)
    status = fields.String()
    error = fields.String(allow_none=True)


class ReminderSchema(Schema):
    id = fields.Integer()
    case = fields.String()
    case_kind = fields.String()
    kind = fields.String()
    day = fields.Date()
    unit = fields.String()
    deadline = fields.Date()
    text = fields.String()
    messages = fields.List(fields.Nested(MessageSchema))


class InboundResultSchema(Schema):
    changed = fields.Integer()
