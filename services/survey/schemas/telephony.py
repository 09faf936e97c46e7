"""Telephone campaign schemas: create (POST), edit (PATCH, partial) and out."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

_WINDOW = validate.Regexp(r"^\d\d:\d\d-\d\d:\d\d$", error="HH:MM-HH:MM")


class CampaignSettings(Schema):
    """The settings a campaign may still change after creation (all optional here)."""

    name = fields.Str(validate=validate.Length(1, 200))
    from_number = fields.Str()
    windows = fields.List(fields.Str(validate=_WINDOW), validate=validate.Length(min=1))
    weekdays = fields.List(fields.Int(validate=validate.Range(0, 6)),
                           validate=validate.Length(min=1))
    zone = fields.Str()
    max_attempts = fields.Int(validate=validate.Range(1, 20))
    delays = fields.Dict(keys=fields.Str(), values=fields.Int(allow_none=True,
                                                              validate=validate.Range(0)))
    max_concurrent = fields.Int(validate=validate.Range(1, 1000))
    cps = fields.Float(validate=validate.Range(0.01, 100))
    language = fields.Str(validate=validate.OneOf(["zh-CN", "en"]))
    voice = fields.Str(validate=validate.Length(1, 60))
    say_language = fields.Str(validate=validate.Length(1, 20))
    gather_timeout = fields.Int(validate=validate.Range(1, 30))
    max_tries = fields.Int(validate=validate.Range(1, 5))
    prompts = fields.Dict(keys=fields.Str(), values=fields.Url())
    record_calls = fields.Bool()
    machine_detection = fields.Bool()
    recording_retention_days = fields.Int(validate=validate.Range(1, 3650))


class CampaignIn(CampaignSettings):
    """POST: a new campaign; defaults as documented in docs/telephony.md."""

    poll_id = fields.Int(required=True)
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    from_number = fields.Str(required=True)
    zone = fields.Str(load_default="Asia/Shanghai")
    max_attempts = fields.Int(load_default=5, validate=validate.Range(1, 20))
    max_concurrent = fields.Int(load_default=10, validate=validate.Range(1, 1000))
    cps = fields.Float(load_default=1.0, validate=validate.Range(0.01, 100))
    language = fields.Str(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))
    voice = fields.Str(load_default="Polly.Zhiyu")
    say_language = fields.Str(load_default="cmn-CN")
    gather_timeout = fields.Int(load_default=5, validate=validate.Range(1, 30))
    max_tries = fields.Int(load_default=3, validate=validate.Range(1, 5))
    prompts = fields.Dict(keys=fields.Str(), values=fields.Url(), load_default=dict)
    record_calls = fields.Bool(load_default=False)
    machine_detection = fields.Bool(load_default=True)
    recording_retention_days = fields.Int(load_default=90, validate=validate.Range(1, 3650))


class CampaignPatch(CampaignSettings):
    """PATCH: only the fields sent change; ``delays`` and ``prompts`` are merged into the
    current ones. The poll, the frame and (while running) the caller id cannot change;
    an unknown field is a 422. ``stop_at_quota`` is the poll's quota stop flag."""

    stop_at_quota = fields.Bool()

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("nothing to change", "_schema")


class CampaignOut(CampaignIn):
    id = fields.Int()
    state = fields.Str()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
