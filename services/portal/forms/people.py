"""An admin's actions on people: add a person, change a role."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from services.portal.forms import REQUIRED
from services.portal.labels import label

ROLE_CHOICES = [SelectChoice(role, label(role))
                for role in ("planner", "inspector", "unit", "analyst", "leader", "admin")]


class PersonForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=60)],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    unit = StringField(_l("Unit code (unit reporters only)"),
                       validators=[Optional(), Length(max=40)])
    password = PasswordField(_l("Password (leave empty to generate one)"),
                             validators=[Optional()], render_kw={"autocomplete": "new-password"})


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    unit = StringField(_l("Unit code (unit reporters only)"),
                       validators=[Optional(), Length(max=40)])
