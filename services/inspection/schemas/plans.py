"""Plan schemas: targets by hand or a stratified random draw."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.inspection.models.plans import PLAN_KINDS

PERIOD = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="a month like 2026-06")


class TargetSchema(Schema):
    unit = fields.String(required=True, validate=validate.Length(1, 40))
    lat = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-180, 180))
    inspector = fields.String(allow_none=True, load_default=None)

    @validates_schema
    def _both_coordinates(self, data, **_kwargs):
        """Half a location cannot be measured against: give lat and lon, or neither."""
        for given, missing in (("lat", "lon"), ("lon", "lat")):
            if data.get(given) is not None and data.get(missing) is None:
                raise ValidationError(f"give {missing} with {given}, or neither", missing)


class FrameUnitSchema(TargetSchema):
    stratum = fields.String(required=True, validate=validate.Length(1, 80))


class DrawSchema(Schema):
    frame = fields.List(fields.Nested(FrameUnitSchema), required=True,
                        validate=validate.Length(min=1))
    sizes = fields.Dict(keys=fields.String(), values=fields.Integer(validate=validate.Range(0)),
                        load_default=None, metadata={"description": "units to draw per stratum"})
    per_stratum = fields.Integer(load_default=None, validate=validate.Range(0))
    seed = fields.Integer(load_default=None, validate=validate.Range(0, 2**63 - 1),
                          metadata={"description": "recorded; generated when not given"})


class PlanInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(required=True, validate=validate.OneOf(PLAN_KINDS))
    template_id = fields.Integer(required=True)
    window_from = fields.Date(required=True)
    window_to = fields.Date(required=True)
    self_check_period = fields.String(load_default=None, validate=PERIOD,
                                      metadata={"description": "month of the self-check the "
                                                               "measurements are compared with; "
                                                               "default the check-in month"})
    inspectors = fields.List(fields.String(validate=validate.Length(1, 120)), required=True,
                             validate=validate.Length(min=1))
    targets = fields.List(fields.Nested(TargetSchema), load_default=None)
    draw = fields.Nested(DrawSchema, load_default=None)


class PlanSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    template_id = fields.Integer()
    window_from = fields.Date()
    window_to = fields.Date()
    self_check_period = fields.String(allow_none=True)
    selection = fields.String()
    draw = fields.Dict(allow_none=True, attribute="disclosed_draw",
                       metadata={"description": "frame, sizes, seed, method and selection of "
                                                "a random draw; null for roles other than "
                                                "planner and admin until every visit of the "
                                                "plan is checked in"})
    inspectors = fields.List(fields.String(), attribute="inspector_subs")
    created_by = fields.String()
    created_at = fields.DateTime()
    visits = fields.Integer(attribute="visible_visits",
                            metadata={"description": "visits visible to the caller"})


class DrawCheckSchema(Schema):
    plan_id = fields.Integer()
    seed = fields.Integer()
    matches = fields.Boolean()
    expected = fields.List(fields.String())
    recorded = fields.List(fields.String())
