"""A planner's XLSForm upload: a questionnaire or a checklist."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from services.portal.forms import REQUIRED


class XlsformUploadForm(FlaskForm):
    kind = RadioField(_l("The workbook is"), choices=[
        SelectChoice("questionnaire", _l("a questionnaire (survey service)")),
        SelectChoice("checklist", _l("an inspection checklist (inspection service)"))],
        default="questionnaire", validators=[InputRequired(REQUIRED)])
    workbook = FileField(_l("XLSForm workbook (.xlsx)"), validators=[
        FileRequired(REQUIRED), FileAllowed(["xlsx"], _l("Choose an .xlsx workbook."))],
        render_kw={"accept": ".xlsx"})
    # The upload's idempotency key: posting the same form twice imports once.
    key = HiddenField(default=lambda: str(uuid.uuid4()))
