"""Marshmallow schemas of periods, schemes, self-checks, key tasks and direct values."""

from marshmallow import Schema, fields, validate

from services.scoring.models.key_tasks import PROGRESS_STATUSES, TASK_CATEGORIES
from services.scoring.schemas.registry import CODE, UtcDateTime

LINK = fields.String(validate=validate.URL(schemes={"http", "https"}))


class PeriodSchema(Schema):
    code = fields.String(required=True)
    kind = fields.String(dump_only=True)
    starts_on = fields.Date(dump_only=True)
    ends_on = fields.Date(dump_only=True)
    state = fields.String(load_default="open", validate=validate.OneOf(("open", "closed")))
    deadline = UtcDateTime(allow_none=True, load_default=None)


class PeriodPatchSchema(Schema):
    state = fields.String(validate=validate.OneOf(("open", "closed")))
    deadline = fields.AwareDateTime()


class PeriodQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(("month", "quarter", "half_year", "year")))


class YearSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class SchemeSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    versions = fields.Method("_versions", dump_only=True)

    def _versions(self, scheme):
        return [{"id": v.id, "version": v.version, "frozen": v.frozen} for v in scheme.versions]


class SchemeVersionSchema(Schema):
    id = fields.Integer()
    scheme = fields.String()
    version = fields.Integer()
    created_at = UtcDateTime()
    created_by = fields.String()
    updated_at = UtcDateTime()
    frozen = fields.Boolean()
    published = fields.Boolean()
    frozen_at = UtcDateTime(allow_none=True)
    document = fields.Raw()


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    indicators = fields.Integer()
    by_source = fields.Dict(keys=fields.String(), values=fields.Integer())


class SelfCheckQuerySchema(Schema):
    unit = fields.String()
    period = fields.String()


class SelfCheckHistoryQuerySchema(SelfCheckQuerySchema):
    indicator = fields.String()
    current = fields.Boolean(load_default=False, metadata={"description": "current versions only"})


class SelfCheckExportQuerySchema(SelfCheckQuerySchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


class SelfCheckContractSchema(Schema):
    """CONTRACTS.md row: the current version of a self-reported value."""

    unit = fields.String()
    period = fields.String()
    indicator = fields.String()
    target = fields.Float(allow_none=True)
    actual = fields.Float(allow_none=True)
    unit_of_measure = fields.String()
    version = fields.Integer()


class SelfCheckVersionSchema(SelfCheckContractSchema):
    current = fields.Boolean()
    narrative = fields.String()
    evidence = fields.List(fields.String())
    submitted_at = UtcDateTime()
    submitted_by = fields.String()
    late = fields.Boolean()
    reason = fields.String(allow_none=True)


class SelfCheckItemSchema(Schema):
    indicator = fields.String(required=True)
    target = fields.Float(allow_none=True, load_default=None)
    actual = fields.Float(required=True, allow_none=False)
    unit_of_measure = fields.String(load_default="")
    narrative = fields.String(load_default="", validate=validate.Length(max=5000))
    evidence = fields.List(LINK, load_default=list)
    reason = fields.String(load_default="")


class SelfCheckSubmissionSchema(Schema):
    unit = fields.String(required=True)
    period = fields.String(required=True)
    reason = fields.String(load_default="", metadata={"description": "correction reason"})
    items = fields.List(fields.Nested(SelfCheckItemSchema), required=True,
                        validate=validate.Length(min=1, max=500))


class SelfCheckResultSchema(Schema):
    period = fields.String()
    values = fields.Integer()
    corrections = fields.Integer()
    late = fields.Integer()
    units = fields.Integer()


class SelfCheckImportQuerySchema(Schema):
    period = fields.String(required=True)
    reason = fields.String(load_default="")


class CompletenessQuerySchema(Schema):
    period = fields.String(required=True)


class MilestoneSchema(Schema):
    seq = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.String(load_default="")
    due_on = fields.Date(required=True)
    planned_percent = fields.Float(allow_none=True, load_default=None,
                                   validate=validate.Range(min=0, max=100))


class KeyTaskSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(TASK_CATEGORIES))
    unit = fields.String(required=True)
    leader = fields.String(load_default="")
    cadence = fields.String(load_default="monthly",
                            validate=validate.OneOf(("monthly", "quarterly")))
    milestones = fields.List(fields.Nested(MilestoneSchema), required=True,
                             validate=validate.Length(min=1, max=60))


class KeyTaskQuerySchema(Schema):
    unit = fields.String()
    category = fields.String(validate=validate.OneOf(TASK_CATEGORIES))


class ProgressSchema(Schema):
    id = fields.Integer(dump_only=True)
    task = fields.String(dump_only=True)
    milestone = fields.Integer(allow_none=True, load_default=None)
    as_of = fields.Date(load_default=None)
    percent = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    status = fields.String(required=True, validate=validate.OneOf(PROGRESS_STATUSES))
    completed_on = fields.Date(allow_none=True, load_default=None)
    narrative = fields.String(load_default="")
    evidence = fields.List(LINK, load_default=list)
    reported_at = UtcDateTime(dump_only=True)
    reported_by = fields.String(dump_only=True)


class MetricsQuerySchema(Schema):
    period = fields.String(required=True)
    unit = fields.String()


class KeyTaskMetricSchema(Schema):
    unit = fields.String()
    period = fields.String()
    tasks = fields.Integer()
    milestones_due = fields.Integer()
    milestones_on_time = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
    progress_lag = fields.Float(allow_none=True)


class DirectValueSchema(Schema):
    unit = fields.String(required=True)
    period = fields.String(required=True)
    indicator = fields.String(required=True)
    value = fields.Float(required=True)
    source_label = fields.String(load_default="")
    imported_at = UtcDateTime(dump_only=True)
    imported_by = fields.String(dump_only=True)


class DirectImportSchema(Schema):
    source_label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    values = fields.List(fields.Nested(DirectValueSchema), required=True,
                         validate=validate.Length(min=1, max=50_000))


class DirectQuerySchema(Schema):
    unit = fields.String()
    period = fields.String()
    indicator = fields.String()
    format = fields.String(validate=validate.OneOf(("json", "csv", "xlsx")), load_default="json")


class SourceLabelQuerySchema(Schema):
    source_label = fields.String(load_default="")
