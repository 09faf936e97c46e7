"""Marshmallow schemas of score runs and their results."""

from marshmallow import Schema, fields, validate

from services.scoring.engine.periods import YEAR_END_WEIGHTS
from services.scoring.models.runs import RUN_KINDS, RUN_STATES
from services.scoring.run_inputs import MISSING_SOURCE_POLICIES

FORMATS = ("json", "csv", "xlsx")


class AdvancedSchema(Schema):
    share = fields.Float(validate=validate.Range(min=0, max=1))
    seats = fields.Integer(validate=validate.Range(min=0))


class CredibilitySchema(Schema):
    mode = fields.String(load_default="weight", validate=validate.OneOf(("weight", "value")))
    slope = fields.Float(validate=validate.Range(min=0))
    threshold = fields.Float(validate=validate.Range(min=0, max=1))
    floor = fields.Float(validate=validate.Range(min=0, max=1))


class RunCreateSchema(Schema):
    scheme_version_id = fields.Integer(required=True)
    period = fields.String(required=True, metadata={"example": "2026-H1"})
    kind = fields.String(required=True, validate=validate.OneOf(RUN_KINDS))
    seed = fields.Integer(validate=validate.Range(min=0, max=2 ** 31 - 1),
                          metadata={"description": "Monte Carlo seed; drawn when absent"})
    polls = fields.List(fields.Integer(), load_default=list,
                        metadata={"description": "survey poll ids whose estimates feed the "
                                                 "poll indicators (pooled by inverse variance)"})
    missing_source = fields.String(load_default="fail",
                                   validate=validate.OneOf(MISSING_SOURCE_POLICIES))
    draws = fields.Integer(load_default=2000, validate=validate.Range(min=0, max=20000))
    level = fields.Float(load_default=0.9, validate=validate.Range(min=0.5, max=0.999))
    top_k = fields.Integer(load_default=3, validate=validate.Range(min=1))
    advanced = fields.Nested(AdvancedSchema)
    fay_herriot = fields.String(validate=validate.OneOf(("REML", "ML")),
                                metadata={"description": "shrink poll indicators toward the "
                                                         "peer-group mean (Fay-Herriot)"})
    credibility = fields.Nested(CredibilitySchema,
                                metadata={"description": "inspection discrepancy rates discount "
                                                         "self-check indicators"})
    period_weighting = fields.String(validate=validate.OneOf(sorted(YEAR_END_WEIGHTS)),
                                     metadata={"description": "day-to-day/snapshot weights of "
                                                              "mid-year and year-end runs"})
    sensitivity = fields.Boolean(load_default=False,
                                 metadata={"description": "also re-rank the final computation "
                                                          "under alternative normalisations and "
                                                          "weightings; served at "
                                                          "/runs/{id}/sensitivity"})


class RunQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(RUN_KINDS))
    period = fields.String()
    state = fields.String(validate=validate.OneOf(RUN_STATES))


class RunSummarySchema(Schema):
    id = fields.Integer()
    scheme_version_id = fields.Integer(allow_none=True)
    scheme = fields.String(attribute="method.scheme_version.scheme")
    scheme_version = fields.Integer(attribute="method.scheme_version.version")
    period = fields.String()
    kind = fields.String()
    seed = fields.Integer()
    state = fields.String()
    units = fields.Integer()
    options = fields.Dict()
    sources = fields.Dict(attribute="method.sources")
    inputs_sha256 = fields.String()
    results_sha256 = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    published_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)


class RunSchema(RunSummarySchema):
    """A run with its method record."""

    method = fields.Dict()


class RunInputsSchema(Schema):
    """A run's input snapshot (docs/scoring-runs.md); its SHA-256 over canonical JSON is
    the run's ``inputs_sha256``."""

    format = fields.Integer()
    kind = fields.String()
    period = fields.String()
    scheme_version = fields.Dict()
    registry = fields.Dict()
    units = fields.List(fields.Dict())
    sources = fields.Dict()
    pulled = fields.Dict()
    segments = fields.List(fields.Dict())


class RankingQuerySchema(Schema):
    group = fields.String()
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class SensitivityQuerySchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class UnitResultSchema(Schema):
    """A unit's numbers in a run, as the ranking and the breakdown show them."""

    run_id = fields.Integer()
    period = fields.String()
    peer_group = fields.String()
    rank = fields.Integer()
    unit = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    composite = fields.Float(allow_none=True)
    composite_lo = fields.Float(allow_none=True)
    composite_hi = fields.Float(allow_none=True)
    rank_lo = fields.Integer(allow_none=True)
    rank_hi = fields.Integer(allow_none=True)
    p_top_k = fields.Float(allow_none=True)
    p_advanced = fields.Float(allow_none=True)
    advanced = fields.Boolean(allow_none=True)
    flags = fields.List(fields.String())


class RankingRowSchema(UnitResultSchema):
    group_size = fields.Integer()
    near_cutoff = fields.Boolean()
    previous_run_id = fields.Integer(allow_none=True)
    previous_composite = fields.Float(allow_none=True)
    previous_rank = fields.Integer(allow_none=True)
    composite_change = fields.Float(allow_none=True)
    rank_change = fields.Integer(allow_none=True)


class BreakdownSchema(UnitResultSchema):
    """A unit's composite explained (contributions add up to the composite)."""

    kind = fields.String()
    state = fields.String()
    credibility = fields.Float(allow_none=True)
    sum_of_contributions = fields.Float()
    indicators = fields.List(fields.Dict())
    nodes = fields.Dict()
    segments = fields.Dict()
    missing = fields.List(fields.Dict())
    horizontal = fields.Dict()
    vertical = fields.Dict(allow_none=True)


class RecomputeSchema(Schema):
    run_id = fields.Integer()
    reproduced = fields.Boolean()
    inputs_sha256 = fields.String()
    inputs_sha256_recomputed = fields.String()
    results_sha256 = fields.String()
    results_sha256_recomputed = fields.String()
    results_sha256_of_stored_rows = fields.String()
    sensitivity_reproduced = fields.Boolean(
        allow_none=True, metadata={"description": "the stored sensitivity report recomputed "
                                                  "exactly; null for a run without the option"})
    difference_count = fields.Integer()
    differences = fields.List(fields.Dict())


class SensitivityVariantSchema(Schema):
    """One alternative method: how group ranks move against the scheme's own (or why it
    was skipped)."""

    mean_abs_shift = fields.Float(metadata={"description": "mean |rank − scheme's rank|"})
    max_abs_shift = fields.Integer(metadata={"description": "largest |rank − scheme's rank|"})
    rank = fields.List(fields.Integer(), metadata={"description": "group ranks under this "
                                                                  "variant, in ``units`` order"})
    skipped = fields.String(metadata={"description": "why the scheme cannot take this variant"})


class SensitivitySchema(Schema):
    """The engine's sensitivity report of a run's final computation."""

    variants = fields.Dict(keys=fields.String(), values=fields.Nested(SensitivityVariantSchema),
                           metadata={"description": "``normalisation=<method>`` (every "
                                                    "indicator) and ``weighting=<method>`` "
                                                    "(every node)"})
    units = fields.List(fields.String())
    max_abs_shift_per_unit = fields.List(fields.Integer(),
                                         metadata={"description": "each unit's largest move "
                                                                  "over the variants"})
