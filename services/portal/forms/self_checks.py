"""A unit's self-check of a month: one row per indicator (target, actual, narrative) and
a reason for corrections; and the month as a spreadsheet."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from services.portal.forms import REQUIRED

NUMBER = {"inputmode": "decimal", "autocomplete": "off"}


class MonthFormBase(FlaskForm):
    reason = StringField(_l("Reason for a correction"), validators=[Optional(),
                                                                   Length(max=500)])
    # The submission's idempotency key: posting the same form twice saves once.
    key = HiddenField(default=lambda: str(uuid.uuid4()))
    indicators: tuple[str, ...] = ()

    def row(self, indicator: str, name: str):
        """The field ``name`` (target, actual, narrative) of ``indicator``'s row."""
        return self[f"{name}-{indicator}"]

    def entered(self) -> dict[str, dict]:
        """Indicator → what was typed (numbers as floats, empty as None)."""
        def number(field):
            return None if field.data is None else float(field.data)
        return {ind: {"target": number(self.row(ind, "target")),
                      "actual": number(self.row(ind, "actual")),
                      "narrative": (self.row(ind, "narrative").data or "").strip()}
                for ind in self.indicators}


def month_form(indicators: list[dict], current: dict[str, dict], narratives: dict[str, str],
               **kwargs) -> MonthFormBase:
    """A form with a row per indicator, filled with the current values."""
    fields = {}
    for indicator in indicators:
        code = indicator["id"]
        fields[f"target-{code}"] = DecimalField(_l("Target"), validators=[Optional()],
                                                places=None, render_kw=NUMBER)
        fields[f"actual-{code}"] = DecimalField(_l("Actual value"), validators=[Optional()],
                                                places=None, render_kw=NUMBER)
        fields[f"narrative-{code}"] = TextAreaField(_l("Narrative"), validators=[
            Optional(), Length(max=5000)], render_kw={"rows": 2})
    form_class = type("MonthForm", (MonthFormBase,), {
        **fields, "indicators": tuple(i["id"] for i in indicators)})
    form = form_class(**kwargs)
    if not form.is_submitted():
        for code, value in current.items():
            if code in form.indicators:
                form.row(code, "target").data = _plain(value.get("target"))
                form.row(code, "actual").data = _plain(value.get("actual"))
                form.row(code, "narrative").data = narratives.get(code, "")
    return form


def _plain(value: float | None) -> float | int | None:
    """A whole number without its ".0" (90, not 90.0), as people type it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class UploadForm(FlaskForm):
    sheet = FileField(_l("Spreadsheet (CSV or XLSX)"), validators=[
        FileRequired(REQUIRED), FileAllowed(["csv", "xlsx"], _l("A CSV or XLSX file."))])
    reason = StringField(_l("Reason for a correction"), validators=[Optional(),
                                                                   Length(max=500)])
    key = HiddenField(default=lambda: str(uuid.uuid4()))
