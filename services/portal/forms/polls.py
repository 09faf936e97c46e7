"""A planner's actions on polls: create one, issue web links, import paper forms."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from services.portal.forms import REQUIRED, options
from services.portal.labels import label

MODES = options((mode, label(mode)) for mode in ("web", "phone", "paper"))


class PollForm(FlaskForm):
    questionnaire_id = SelectField(_l("Questionnaire version"), coerce=int,
                                   validators=[InputRequired(REQUIRED)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(REQUIRED),
                                                             Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(REQUIRED),
                                                             Length(max=200)])
    modes = SelectMultipleField(_l("Modes"), choices=MODES, default=["web"],
                                validators=[DataRequired(REQUIRED)])
    field_start = DateField(_l("Field period starts"), validators=[InputRequired(REQUIRED)])
    field_end = DateField(_l("Field period ends"), validators=[InputRequired(REQUIRED)])
    townships = SelectMultipleField(_l("Townships"), validators=[DataRequired(REQUIRED)])
    target = IntegerField(_l("Completes wanted per township"), default=30,
                          validators=[InputRequired(REQUIRED), NumberRange(0, 100000)])
    stop_at_quota = BooleanField(_l("Stop calling a township once its quota is filled"))
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def body(self) -> dict:
        return {"questionnaire_id": self.questionnaire_id.data,
                "name_zh": self.name_zh.data.strip(), "name_en": self.name_en.data.strip(),
                "modes": list(self.modes.data), "field_start": self.field_start.data.isoformat(),
                "field_end": self.field_end.data.isoformat(),
                "townships": [{"code": code, "target_completes": self.target.data}
                              for code in self.townships.data],
                "stop_at_quota": bool(self.stop_at_quota.data)}


class LinksForm(FlaskForm):
    township = SelectField(_l("Township"), validators=[InputRequired(REQUIRED)])
    count = IntegerField(_l("Links per township"), default=20,
                         validators=[InputRequired(REQUIRED), NumberRange(1, 500)])
    output = SelectField(_l("As"), choices=options([
        ("sheet", _l("a printable sheet with QR codes")), ("csv", _l("a CSV file of links"))]))


class PaperForm(FlaskForm):
    file = FileField(_l("Keyed-in paper forms (CSV or XLSX)"),
                     validators=[FileRequired(REQUIRED)])
