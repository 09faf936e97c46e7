"""Setting a password: with a one-time reset code, or by knowing the current one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from services.portal.forms import REQUIRED

SAME = _l("The two passwords differ.")


class ResetPasswordForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=120)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    code = StringField(_l("Reset code"), validators=[DataRequired(REQUIRED), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"})
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(REQUIRED), EqualTo("password", SAME)],
                            render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(REQUIRED), EqualTo("password", SAME)],
                            render_kw={"autocomplete": "new-password"})
