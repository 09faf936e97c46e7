"""Evidence file schemas: the declaration before the upload, and the attachment."""

from marshmallow import Schema, fields, validate

from services.inspection.models.evidence import EVIDENCE_KINDS
from services.inspection.schemas.checklists import ITEM_ID

SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hex digits")


class AttachmentInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS))
    filename = fields.String(required=True, validate=validate.Length(1, 255))
    content_type = fields.String(required=True, validate=validate.Length(1, 100))
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    sha256 = fields.String(required=True, validate=SHA256)
    item_id = fields.String(load_default=None, allow_none=True, validate=ITEM_ID)
    finding_ref = fields.String(load_default=None, allow_none=True)


class AttachmentSchema(Schema):
    id = fields.Integer()
    visit_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True)
    kind = fields.String()
    item_id = fields.String(allow_none=True)
    finding_ref = fields.String(allow_none=True)
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    status = fields.String(metadata={"description": "declared, then received"})
    declared_by = fields.String()
    declared_at = fields.DateTime()
    received_at = fields.DateTime(allow_none=True)
