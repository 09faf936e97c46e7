"""Progress on one of the unit's key tasks."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from services.portal.forms import REQUIRED
from services.portal.i18n import current_language

STATUSES = [SelectChoice("in_progress", _l("in progress")), SelectChoice("done", _l("done")),
            SelectChoice("delayed", _l("delayed")), SelectChoice("blocked", _l("blocked")),
            SelectChoice("not_started", _l("not started"))]


class ProgressForm(FlaskForm):
    task = SelectField(_l("Task"), validators=[InputRequired(REQUIRED)])
    milestone = IntegerField(_l("Milestone number"), validators=[Optional(),
                                                                NumberRange(min=1)],
                             render_kw={"inputmode": "numeric"})
    percent = DecimalField(_l("Progress (%)"), places=None, validators=[
        InputRequired(REQUIRED), NumberRange(0, 100)], render_kw={"inputmode": "decimal"})
    status = SelectField(_l("Status"), choices=STATUSES)
    completed_on = DateField(_l("Completed on"), validators=[Optional()])
    narrative = TextAreaField(_l("Narrative"), validators=[Optional(), Length(max=5000)])
    evidence = StringField(_l("Evidence links"), validators=[Optional(), Length(max=2000)])
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def __init__(self, tasks: list[dict], *args, **kwargs):
        super().__init__(*args, **kwargs)
        title = "title_en" if current_language() == "en" else "title_zh"
        self.task.choices = [SelectChoice(t["code"], f"{t['code']} {t[title]}") for t in tasks]

    def report(self) -> dict:
        """The form as the scoring API's progress report."""
        return {"milestone": self.milestone.data, "percent": float(self.percent.data),
                "status": self.status.data,
                "completed_on": self.completed_on.data.isoformat()
                if self.completed_on.data else None,
                "narrative": self.narrative.data or "",
                "evidence": (self.evidence.data or "").split()}
