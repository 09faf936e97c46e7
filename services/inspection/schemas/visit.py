"""Visit schemas: check-in, answers, findings, evidence, submission, review."""

from marshmallow import Schema, fields, validate

from services.inspection.models.visit import EVIDENCE_KINDS, SEVERITIES
from services.inspection.schemas.checklist import ITEM_ID

PROVIDERS = ("gps", "network", "fused", "manual")
SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="64 hex digits")


class CheckInSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(required=True, validate=validate.Range(min=0))
    provider = fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    mock_location = fields.Boolean(required=True)
    device_time = fields.AwareDateTime(load_default=None, default_timezone=None)


class AnswerSchema(Schema):
    item_id = fields.String(required=True, validate=ITEM_ID)
    result = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(("pass", "fail", "na")))
    points = fields.Float(load_default=None, allow_none=True)
    value = fields.Float(load_default=None, allow_none=True,
                         metadata={"description": "measured value, in the item's unit"})
    self_reported = fields.Float(load_default=None, allow_none=True,
                                 metadata={"description": "the unit's reported value; default "
                                                          "the self-check fetched at check-in"})
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class FindingInSchema(Schema):
    ref = fields.String(load_default=None, validate=validate.Length(1, 80))
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    item_id = fields.String(load_default=None, allow_none=True, validate=ITEM_ID)
    description = fields.String(required=True, validate=validate.Length(1, 5000))


class SubmitSchema(Schema):
    client_uuid = fields.UUID(required=True,
                              metadata={"description": "idempotency key chosen by the device"})
    answers = fields.List(fields.Nested(AnswerSchema), required=True)
    findings = fields.List(fields.Nested(FindingInSchema), load_default=list)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))


class AmendSchema(SubmitSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=5000))


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


class AnswerOutSchema(AnswerSchema):
    discrepant = fields.Boolean(allow_none=True)
    score = fields.Float(allow_none=True)
    max_score = fields.Float(allow_none=True)


class FindingSchema(Schema):
    id = fields.Integer()
    ref = fields.String()
    severity = fields.String()
    item_id = fields.String(allow_none=True)
    description = fields.String()


class VersionSchema(Schema):
    version = fields.Integer()
    client_uuid = fields.String()
    reason = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    submitted_by = fields.String()
    submitted_at = fields.DateTime()
    score = fields.Float(allow_none=True)
    score_raw = fields.Float(allow_none=True)
    capped = fields.Boolean()
    rule_version = fields.String()
    answers = fields.List(fields.Nested(AnswerOutSchema), attribute="responses")
    findings = fields.List(fields.Nested(FindingSchema))


class CheckInOutSchema(Schema):
    at = fields.DateTime(attribute="checkin_at")
    lat = fields.Float(attribute="checkin_lat")
    lon = fields.Float(attribute="checkin_lon")
    accuracy_m = fields.Float(attribute="checkin_accuracy_m")
    provider = fields.String(attribute="checkin_provider")
    mock_location = fields.Boolean(attribute="checkin_mock")
    device_time = fields.DateTime(attribute="checkin_device_time", allow_none=True)
    distance_m = fields.Float(attribute="checkin_distance_m", allow_none=True)
    flags = fields.List(fields.String(), attribute="checkin_flags")
    reference_date = fields.Date(metadata={"description": "the day the visit counts for"})


class VisitSchema(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    plan_kind = fields.String()
    unit = fields.String(attribute="unit_code")
    stratum = fields.String(allow_none=True)
    inspector = fields.String()
    status = fields.String()
    checkin = fields.Method("_checkin", allow_none=True)
    current_version = fields.Integer()
    score = fields.Float(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)
    versions = fields.List(fields.Nested(VersionSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))

    def _checkin(self, visit):
        return CheckInOutSchema().dump(visit) if visit.checkin_at else None


class VisitSummarySchema(Schema):
    id = fields.Integer()
    plan_id = fields.Integer()
    unit = fields.String(attribute="unit_code")
    inspector = fields.String()
    status = fields.String()
    checkin_at = fields.DateTime(allow_none=True)
    current_version = fields.Integer()
    score = fields.Float(allow_none=True)


class SubmissionSchema(VisitSummarySchema):
    """What a submission or amendment answers: the visit and the version just stored."""

    version = fields.Nested(VersionSchema)


class VisitQuerySchema(Schema):
    plan_id = fields.Integer(load_default=None)
    unit = fields.String(load_default=None)
    status = fields.String(load_default=None)
