"""The responsible unit's reply to a rectification order."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from services.portal.forms import REQUIRED


class ReplyForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(REQUIRED),
                                                          Length(max=5000)])
    files = MultipleFileField(_l("Photos or files (JPEG, PNG, WebP, HEIC, PDF)"),
                              validators=[FileRequired(REQUIRED)],
                              render_kw={"accept": "image/*,application/pdf"})

    def uploads(self) -> list[tuple[str, str, bytes]]:
        """The files sent: name, content type, bytes."""
        return [(f.filename or "file", f.mimetype or "", f.read()) for f in self.files.data
                if f and f.filename]
