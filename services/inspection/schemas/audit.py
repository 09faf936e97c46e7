"""Audit log schemas: the entries and the chain check."""

from marshmallow import Schema, fields, validate


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    role = fields.String()
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    details = fields.Dict()
    prev_hash = fields.String()
    hash = fields.String()


class AuditQuerySchema(Schema):
    after_seq = fields.Integer(load_default=0)
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 5000))
    action = fields.String(load_default=None)
    subject_type = fields.String(load_default=None)
    subject_id = fields.String(load_default=None)


class ChainReportSchema(Schema):
    ok = fields.Boolean()
    entries = fields.Integer()
    broken_seq = fields.Integer(allow_none=True)
    broken_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
