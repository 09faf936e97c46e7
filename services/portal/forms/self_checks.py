"""A unit's self-check value for a month."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from services.portal.forms import REQUIRED


class SelfCheckForm(FlaskForm):
    indicator = StringField(_l("Indicator"), validators=[DataRequired(REQUIRED),
                                                         Length(max=80)])
    target = DecimalField(_l("Target"), validators=[Optional()], places=None,
                          render_kw={"inputmode": "decimal"})
    actual = DecimalField(_l("Actual value"), validators=[InputRequired(REQUIRED)], places=None,
                          render_kw={"inputmode": "decimal"})
    narrative = TextAreaField(_l("Narrative"), validators=[Optional(), Length(max=5000)])
    reason = StringField(_l("Reason for a correction"), validators=[Optional(),
                                                                   Length(max=500)])
    # The submission's idempotency key: posting the same form twice saves once.
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def item(self) -> dict:
        """The form as one item of the scoring API's self-check submission."""
        return {"indicator": self.indicator.data.strip(), "actual": float(self.actual.data),
                "target": float(self.target.data) if self.target.data is not None else None,
                "narrative": self.narrative.data or "", "reason": self.reason.data or ""}
