"""A planner's actions on telephone campaigns: create one, change its settings, import
its sampling frame."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from services.portal.forms import REQUIRED, options


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


class _Settings(FlaskForm):
    name = StringField(_l("Campaign name"), validators=[DataRequired(REQUIRED), Length(max=200)])
    from_number = StringField(_l("Caller number"), validators=[DataRequired(REQUIRED),
                                                               Length(max=40)],
                              render_kw={"inputmode": "tel"})
    windows = StringField(_l("Calling hours"), default="09:00-12:00, 14:00-20:30",
                          validators=[DataRequired(REQUIRED), Length(max=200)])
    weekdays = StringField(_l("Weekdays"), default="0, 1, 2, 3, 4, 5, 6",
                           validators=[DataRequired(REQUIRED), Length(max=40)])
    max_attempts = IntegerField(_l("Attempts per number"), default=5,
                                validators=[InputRequired(REQUIRED), NumberRange(1, 20)])
    max_concurrent = IntegerField(_l("Calls at once"), default=10,
                                  validators=[InputRequired(REQUIRED), NumberRange(1, 1000)])
    cps = DecimalField(_l("Calls started per second"), default=1, places=None,
                       validators=[InputRequired(REQUIRED), NumberRange(0.01, 100)],
                       render_kw={"inputmode": "decimal"})
    language = SelectField(_l("Language of the calls"),
                           choices=options([("zh-CN", "中文"), ("en", "English")]))

    def settings(self) -> dict:
        """The form as the survey API's campaign settings (a weekday that is no number is
        sent as it is, for the API to refuse with its field)."""
        weekdays = [int(day) if day.isdigit() else day for day in _list(self.weekdays.data)]
        return {"name": self.name.data.strip(), "from_number": self.from_number.data.strip(),
                "windows": _list(self.windows.data), "weekdays": weekdays,
                "max_attempts": self.max_attempts.data,
                "max_concurrent": self.max_concurrent.data, "cps": float(self.cps.data),
                "language": self.language.data}


class CampaignForm(_Settings):
    poll_id = SelectField(_l("Poll"), coerce=int, validators=[InputRequired(REQUIRED)])
    # The creation's idempotency key: posting the same form twice creates one campaign.
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def settings(self) -> dict:
        return {"poll_id": self.poll_id.data, **super().settings()}


class SettingsForm(_Settings):
    """The settings of an existing campaign; only what changed is sent."""

    def fill(self, campaign: dict) -> None:
        for name in ("name", "from_number", "max_attempts", "max_concurrent", "cps",
                     "language"):
            self[name].data = campaign.get(name)
        self.windows.data = ", ".join(campaign.get("windows") or [])
        self.weekdays.data = ", ".join(str(d) for d in campaign.get("weekdays") or [])

    def changes(self, campaign: dict) -> dict:
        return {key: value for key, value in super().settings().items()
                if value is not None and value != campaign.get(key)}


class FrameForm(FlaskForm):
    file = FileField(_l("Numbers to call (CSV: phone, township)"),
                     validators=[FileRequired(REQUIRED)])
