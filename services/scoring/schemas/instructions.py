"""Marshmallow schemas of instructions, their reports, extension requests and trail."""

from marshmallow import Schema, fields, validate

from services.scoring.models.instructions import INSTRUCTION_STATES, UNIT_ROLES
from services.scoring.schemas import LINK, UtcDateTime

TEXT = validate.Length(min=1, max=4000)


class ResponsibleUnitSchema(Schema):
    unit = fields.String(required=True, attribute="unit_code", data_key="unit",
                         validate=validate.Length(min=1, max=40))
    role = fields.String(required=True, validate=validate.OneOf(UNIT_ROLES))


class InstructionInSchema(Schema):
    leader = fields.String(required=True, validate=validate.Length(min=1, max=100))
    document_no = fields.String(required=True, validate=validate.Length(min=1, max=100))
    issued_on = fields.Date(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    text = fields.String(required=True, validate=TEXT)
    deadline = fields.Date(required=True)
    attachments = fields.List(LINK, load_default=list, validate=validate.Length(max=20))
    units = fields.List(fields.Nested(ResponsibleUnitSchema), required=True,
                        validate=validate.Length(min=1, max=30))


class InstructionSchema(Schema):
    id = fields.Integer()
    leader = fields.String()
    document_no = fields.String()
    issued_on = fields.Date()
    title = fields.String()
    text = fields.String()
    deadline = fields.Date()
    original_deadline = fields.Date()
    attachments = fields.List(fields.String())
    units = fields.List(fields.Nested(ResponsibleUnitSchema))
    lead_unit = fields.String()
    state = fields.String()
    submitted_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    created_by = fields.String()
    created_at = UtcDateTime()


class InstructionQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(INSTRUCTION_STATES))
    unit = fields.String()
    overdue = fields.Boolean(load_default=False)


class ReportInSchema(Schema):
    unit = fields.String(load_default=None, metadata={"description": "staff only"})
    text = fields.String(required=True, validate=TEXT)
    evidence = fields.List(LINK, load_default=list, validate=validate.Length(max=20))
    completed = fields.Boolean(load_default=False)


class ReportSchema(Schema):
    id = fields.Integer()
    unit = fields.String(attribute="unit_code")
    text = fields.String()
    evidence = fields.List(fields.String())
    completed = fields.Boolean()
    reported_on = fields.Date()
    reported_by = fields.String()
    reported_at = UtcDateTime()


class JudgementSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("verify", "return", "close")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class ExtensionInSchema(Schema):
    unit = fields.String(load_default=None, metadata={"description": "staff only"})
    reason = fields.String(required=True, validate=TEXT)
    requested_deadline = fields.Date(required=True)


class ExtensionDecisionSchema(Schema):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class ExtensionSchema(Schema):
    id = fields.Integer()
    unit = fields.String(attribute="unit_code")
    reason = fields.String()
    requested_deadline = fields.Date()
    state = fields.String()
    decision_note = fields.String(allow_none=True)
    requested_by = fields.String()
    requested_at = UtcDateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)


class EventSchema(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.String()
    role = fields.String()
    note = fields.String(allow_none=True)
    details = fields.Dict()
    at = UtcDateTime()


class InstructionDetailSchema(Schema):
    instruction = fields.Nested(InstructionSchema)
    reports = fields.List(fields.Nested(ReportSchema))
    extensions = fields.List(fields.Nested(ExtensionSchema))
    events = fields.List(fields.Nested(EventSchema))


class InstructionMetricQuerySchema(Schema):
    period = fields.String(required=True)
    unit = fields.String()


class InstructionMetricSchema(Schema):
    unit = fields.String()
    period = fields.String()
    instructions_due = fields.Integer()
    closed_on_time = fields.Integer()
    on_time_closure_rate = fields.Float(allow_none=True)
