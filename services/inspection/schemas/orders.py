"""Rectification order schemas."""

from marshmallow import Schema, fields, validate

from services.inspection.models.orders import ORDER_STATES
from services.inspection.schemas.evidence import AttachmentSchema


class OrderInSchema(Schema):
    finding_id = fields.Integer(required=True)
    deadline = fields.Date(required=True)
    instructions = fields.String(required=True, validate=validate.Length(1, 5000))
    unit = fields.String(load_default=None, validate=validate.Length(1, 40),
                         metadata={"description": "responsible unit; default the visited unit"})


class OrderSubmitSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(1, 5000))
    attachment_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1),
                                 metadata={"description": "received evidence of the fix"})


class OrderVerifySchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    follow_up_visit_id = fields.Integer(load_default=None, allow_none=True)


class OrderReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 5000))


class FollowUpSchema(Schema):
    visit_id = fields.Integer(required=True)


class OrderEventSchema(Schema):
    at = fields.DateTime()
    actor = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    note = fields.String(allow_none=True)
    attachment_ids = fields.List(fields.Integer(), allow_none=True)


class OrderSchema(Schema):
    id = fields.Integer()
    finding_id = fields.Integer()
    visit_id = fields.Integer()
    unit = fields.String(attribute="unit_code")
    deadline = fields.Date()
    instructions = fields.String()
    state = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    on_time = fields.Boolean(allow_none=True)
    last_reason = fields.String(allow_none=True)
    follow_up_visit_id = fields.Integer(allow_none=True, attribute="disclosed_follow_up",
                                        metadata={"description": "null when the caller may "
                                                                 "not see that visit yet"})
    events = fields.List(fields.Nested(OrderEventSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))


class OrderQuerySchema(Schema):
    unit = fields.String(load_default=None)
    state = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATES))


class AsOfQuerySchema(Schema):
    as_of = fields.Date(load_default=None,
                        metadata={"description": "default today (Asia/Shanghai)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class OverdueSchema(Schema):
    id = fields.Integer()
    unit = fields.String()
    visit_id = fields.Integer()
    finding_id = fields.Integer()
    deadline = fields.Date()
    days_overdue = fields.Integer()
    state = fields.String()
    instructions = fields.String()


class ClosureRateSchema(Schema):
    unit = fields.String()
    orders = fields.Integer()
    due = fields.Integer()
    closed = fields.Integer()
    closed_on_time = fields.Integer()
    rate = fields.Float(allow_none=True)
