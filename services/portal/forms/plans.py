"""A planner's actions on inspections: a new plan, a visit given to another inspector,
the review of a submitted visit."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from services.portal.forms import REQUIRED, options
from services.portal.labels import plan_kind


class PlanForm(FlaskForm):
    name = StringField(_l("Plan name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=options(
        (k, plan_kind(k)) for k in ("open", "unannounced")))
    template_id = SelectField(_l("Checklist"), coerce=int, validators=[InputRequired(REQUIRED)])
    window_from = DateField(_l("Window opens"), validators=[InputRequired(REQUIRED)])
    window_to = DateField(_l("Window closes"), validators=[InputRequired(REQUIRED)])
    inspectors = SelectMultipleField(_l("Inspectors (visits are given to them in turn)"),
                                     validators=[DataRequired(REQUIRED)])
    selection = RadioField(_l("Units to visit"), default="draw", choices=options([
        ("draw", _l("a stratified random draw from each peer group")),
        ("manual", _l("the units chosen below"))]))
    per_stratum = IntegerField(_l("Units drawn per peer group"), default=1,
                               validators=[Optional(), NumberRange(0, 1000)])
    seed = IntegerField(_l("Seed of the draw (empty: drawn and recorded by the service)"),
                        validators=[Optional(), NumberRange(0, 2 ** 63 - 1)])
    units = SelectMultipleField(_l("Units (chosen by hand)"), validators=[Optional()])
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def values(self) -> dict:
        return {name: self[name].data for name in (
            "name", "kind", "template_id", "window_from", "window_to", "inspectors",
            "selection", "per_stratum", "seed", "units")}


class AssignForm(FlaskForm):
    inspector = SelectField(_l("Inspector"), validators=[DataRequired(REQUIRED)])


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), default="approve", choices=options([
        ("approve", _l("approve")), ("return", _l("return to the inspector"))]))
    comment = TextAreaField(_l("Comment (required when returning)"),
                            validators=[Optional(), Length(max=5000)])
