"""Flask-WTF forms: one class per page action; every form carries the CSRF token (a
form that is only a button renders ``csrf_token()`` itself)."""

from flask_babel import lazy_gettext as _l

REQUIRED = _l("This field is required.")
