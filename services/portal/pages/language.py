"""The language switch: a form (works without JavaScript) that stores the choice."""

from __future__ import annotations

from flask import Blueprint, redirect, session

from services.portal import access
from services.portal.forms.language import LanguageForm
from services.portal.i18n import LANGUAGES

bp = Blueprint("language", __name__)


@bp.post("/language")
def switch():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    return redirect(access.safe_next(form.next.data))
