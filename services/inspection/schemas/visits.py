"""Visit schemas: check-in, review, the visit with its versions and evidence."""

from marshmallow import Schema, fields, validate

from services.inspection.schemas.evidence import AttachmentSchema
from services.inspection.schemas.submissions import VersionSchema

PROVIDERS = ("gps", "network", "fused", "manual")
LOCATION_DOC = {"description": "the unit's {lat, lon} the check-in is measured against (the "
                               "plan target's, or the registry's once cached); null when not "
                               "known"}


def registered_location(visit) -> dict | None:
    """The visit's registered location; half a location is none (``visits.check_in``)."""
    if visit.unit_lat is None or visit.unit_lon is None:
        return None
    return {"lat": visit.unit_lat, "lon": visit.unit_lon}


class CheckInSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(required=True, validate=validate.Range(min=0))
    provider = fields.String(required=True, validate=validate.OneOf(PROVIDERS))
    mock_location = fields.Boolean(required=True)
    device_time = fields.AwareDateTime(load_default=None, default_timezone=None)


class AssignSchema(Schema):
    inspector = fields.String(required=True, validate=validate.Length(1, 120),
                              metadata={"description": "the inspector's username (token sub)"})


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=5000))


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
    registered_location = fields.Function(
        registered_location, allow_none=True, metadata=LOCATION_DOC)
    self_reports = fields.Dict(
        allow_none=True,
        metadata={"description": "{period, values: {item id: value}}: the unit's self-check "
                                 "fetched at check-in, that measured items are compared with; "
                                 "null before check-in or when scoring did not answer"})
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


class VisitListItemSchema(VisitSummarySchema):
    """A visit in ``GET /visits``: the summary and where the unit is."""

    registered_location = fields.Function(registered_location,
                                          allow_none=True, metadata=LOCATION_DOC)


class SubmissionSchema(VisitSummarySchema):
    """What a submission or amendment answers: the visit and the version just stored.

    The submission path writes this body itself from the values it stores (it is the
    measured hot path, and the same body is the idempotency record a replay answers),
    so ``dump`` passes it through as it is: serialising the ~20 answers again would
    cost about a tenth of a submission's CPU. ``tests/inspection/test_submissions.py``
    checks the body against these fields.
    """

    version = fields.Nested(VersionSchema)

    def dump(self, obj, *, many=None):
        return obj


class VisitQuerySchema(Schema):
    plan_id = fields.Integer(load_default=None)
    unit = fields.String(load_default=None)
    status = fields.String(load_default=None)
