"""Telephone poll schemas: campaigns (create, edit, out), the sampling frame and the
do-not-call list, live progress, and the calls' process data."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .outcome_rates import OutcomeEntry

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


class CampaignQuery(Schema):
    poll_id = fields.Int(load_default=None)


class FrameUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class FrameReport(Schema):
    rows = fields.Int()
    imported = fields.Int()
    duplicates = fields.Int()
    do_not_call = fields.Int()


class DoNotCallIn(Schema):
    numbers = fields.List(fields.Str(), required=True, validate=validate.Length(1, 10000))


class PurgeOut(Schema):
    purged = fields.Int()


class TownshipProgressOut(Schema):
    township = fields.Str()
    cases = fields.Int()
    dialled = fields.Int()
    claimed = fields.Int()
    in_progress = fields.Int()
    completes = fields.Int()
    partials = fields.Int()
    refusals = fields.Int()
    non_contacts = fields.Int()
    other = fields.Int()
    unknown = fields.Int()
    not_eligible = fields.Int()
    rr1 = fields.Float(allow_none=True)
    rr3 = fields.Float(allow_none=True)
    coop1 = fields.Float(allow_none=True)
    target_completes = fields.Int()
    quota_fill = fields.Float(allow_none=True)


class ProgressOut(Schema):
    """Live progress: per township, then the overall AAPOR rates (``e`` from the resolved
    cases) and the cases and calls open now."""

    campaign_id = fields.Int()
    state = fields.Str()
    townships = fields.List(fields.Nested(TownshipProgressOut))
    overall = fields.Nested(OutcomeEntry)
    pending = fields.Int()
    claimed = fields.Int()
    in_progress = fields.Int()


class AttemptOut(Schema):
    id = fields.Int()
    contact_id = fields.Int()
    township = fields.Function(lambda a: a.contact.township)
    attempt_number = fields.Int()
    direction = fields.Str()
    state = fields.Str()
    call_sid = fields.Str(allow_none=True)
    queued_at = fields.DateTime()
    placed_at = fields.DateTime(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    call_status = fields.Str(allow_none=True)
    answered_by = fields.Str(allow_none=True)
    duration = fields.Int(allow_none=True)
    outcome = fields.Str(allow_none=True)
    disposition = fields.Str(allow_none=True)
    last_question = fields.Str(allow_none=True)
