"""Marshmallow schemas of key tasks, their milestones, progress reports and metrics."""

from marshmallow import Schema, fields, validate

from services.scoring.models.key_tasks import PROGRESS_STATUSES, TASK_CATEGORIES
from services.scoring.schemas import CODE, LINK, UtcDateTime


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



class KeyTaskOutSchema(KeyTaskSchema):
    unit = fields.String(attribute="unit_code")


class KeyTaskImportResultSchema(Schema):
    tasks = fields.Integer()
    milestones = fields.Integer()


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



class ProgressOutSchema(ProgressSchema):
    task = fields.String(attribute="task_code")
    milestone = fields.Integer(allow_none=True, attribute="milestone_seq")


class ProgressImportResultSchema(Schema):
    reports = fields.Integer()


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
