"""A planner's new score run."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from services.portal.forms import REQUIRED, options
from services.portal.labels import label

KINDS = ("monthly", "quarterly", "mid-year", "year-end")


class RunForm(FlaskForm):
    scheme_version_id = SelectField(_l("Scheme version"), coerce=int,
                                    validators=[InputRequired(REQUIRED)])
    kind = SelectField(_l("Kind"), choices=options((kind, label(kind)) for kind in KINDS),
                       default="mid-year")
    period = SelectField(_l("Period"), validators=[InputRequired(REQUIRED)])
    polls = SelectMultipleField(_l("Polls whose estimates feed the poll indicators"),
                                coerce=int, validators=[Optional()])
    draws = IntegerField(_l("Monte Carlo draws"), default=2000,
                         validators=[InputRequired(REQUIRED), NumberRange(0, 20000)])
    seed = IntegerField(_l("Seed (empty: drawn by the service)"),
                        validators=[Optional(), NumberRange(0, 2 ** 31 - 1)])
    missing_source = SelectField(_l("When a source service does not answer"), choices=options([
        ("skip", _l("leave its indicators out and say so")), ("fail", _l("refuse the run"))]))
    fay_herriot = SelectField(_l("Shrink poll indicators (Fay–Herriot)"), default="REML",
                              choices=options([("REML", "REML"), ("ML", "ML"), ("", _l("no"))]))
    credibility = BooleanField(_l("Discount self-checks by inspection discrepancies"),
                               default=True)
    sensitivity = BooleanField(_l("Also re-rank under other normalisations and weightings "
                                  "(sensitivity)"))
    # The run's idempotency key: posting the same form twice computes one run.
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def settings(self) -> dict:
        """The form as the scoring API's run request."""
        body = {"scheme_version_id": self.scheme_version_id.data, "kind": self.kind.data,
                "period": self.period.data, "polls": list(self.polls.data or []),
                "draws": self.draws.data, "missing_source": self.missing_source.data,
                "sensitivity": bool(self.sensitivity.data)}
        if self.seed.data is not None:
            body["seed"] = self.seed.data
        if self.fay_herriot.data:
            body["fay_herriot"] = self.fay_herriot.data
        if self.credibility.data:
            body["credibility"] = {"mode": "weight", "slope": 1.0}
        return body
