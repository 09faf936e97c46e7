"""Flask-WTF forms: one class per page action; every form carries the CSRF token (a
form that is only a button renders ``csrf_token()`` itself)."""

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

REQUIRED = _l("This field is required.")


def options(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as the choices of a select or radio field."""
    return [SelectChoice(value, text) for value, text in pairs]
