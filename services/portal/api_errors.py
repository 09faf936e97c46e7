"""API error answers turned into what a form shows: a message per form field, in the
person's language.

A 422 or 409 names fields in its ``errors`` (flat ``{"actual": [...]}``, nested like
marshmallow's ``{"json": {"items": {"0": {"actual": [...]}}}}``, or per row
``{"row 1": {"actual": [...]}}``); each reason is matched against the reasons the
services are known to give and shown as the catalogue's text for it, else as the
service wrote it.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from shared.client import ServiceError

# (pattern of a service's reason, the portal's text for it)
KNOWN_REASONS = (
    (re.compile(r"cannot be negative"), _l("Must not be negative.")),
    (re.compile(r"^Missing data for required field\.$|^is required$"),
     _l("This field is required.")),
    (re.compile(r"^Not a valid number\.$"), _l("Enter a number.")),
    (re.compile(r"^Not a valid (date|datetime)\.$"), _l("Enter a date as YYYY-MM-DD.")),
    (re.compile(r"^Field may not be null\.$"), _l("This field is required.")),
    (re.compile(r"unknown self-check indicator"), _l("This indicator is not in the scheme.")),
    (re.compile(r"^not a number: "), _l("Enter a number.")),
    (re.compile(r"^your token is scoped to unit"), _l("You may report for your own unit only.")),
    (re.compile(r"a correction needs a reason"),
     _l("This value was reported already: a correction needs a reason.")),
    (re.compile(r"is closed; only a correction"),
     _l("The period is closed: only a correction with a reason is accepted.")),
    (re.compile(r"wrong unit .* is measured in"), _l("Wrong unit of measure.")),
    (re.compile(r"is not active in"), _l("The unit is not active in this period.")),
    (re.compile(r"is published and frozen"), _l("This run is published already.")),
    (re.compile(r"^No indicator has a value in"),
     _l("No indicator has a value in a part of this period: a mid-year or year-end run "
        "needs data in each of its quarters.")),
    # the inspection service, as the field pages meet it
    (re.compile(r"^A submitted visit cannot be changed"),
     _l("The visit has been submitted already: send yours as an amendment with a reason.")),
    (re.compile(r"^Check in before submitting"), _l("Check in first.")),
    (re.compile(r"^Evidence can be added after check-in and before submission"),
     _l("Photos are taken after check-in and before the visit is submitted.")),
    (re.compile(r"^Declared evidence has not all arrived"),
     _l("A photo has not arrived yet: send it first.")),
    (re.compile(r"photo of this item is required|^A photo is required$"),
     _l("Add a photo of this item, or choose N/A.")),
    (re.compile(r"no self-reported value to compare with"),
     _l("The unit reported no figure: state whether it complies.")),
    (re.compile(r"^Only the assigned inspector"),
     _l("Only the inspector assigned to the visit may work on it.")),
    (re.compile(r"^Answers are not valid$"), _l("Some answers are not valid.")),
)
SKIP_KEYS = {"json", "form", "query", "items"}


def translate(reason: Any) -> Any:
    """The portal's text for a service's reason (lazy, translated when shown); a text of
    the portal's own (a lazy string) stays as it is."""
    if not isinstance(reason, str):
        return reason
    for pattern, text in KNOWN_REASONS:
        if pattern.search(reason):
            return text
    return reason


def field_errors(errors: Any, fields: set[str]) -> tuple[dict[str, list], list]:
    """Split an API ``errors`` value into ``{form field: [texts]}`` for the fields the form
    has, and the remaining texts (shown above the form)."""
    by_field: dict[str, list] = {}
    other: list = []
    for path, reason in _leaves(errors, ()):
        named = [key for key in path if key in fields]
        text = translate(reason)
        if named:
            by_field.setdefault(named[-1], []).append(text)
        else:
            other.append(text)
    return by_field, other


def _leaves(value: Any, path: tuple[str, ...]):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(inner, path + (str(key),))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item, path)
    elif value is not None:
        yield tuple(k for k in path if k not in SKIP_KEYS), value


def show_on(form, errors: Any) -> list:
    """Put ``errors`` beside the fields of ``form`` they name; return the other texts."""
    by_field, other = field_errors(errors, set(form._fields))
    for name, texts in by_field.items():
        field = form[name]
        field.errors = [*field.errors, *texts]
    return other


# The API's answers a page shows on its form (anything else goes to the error pages).
SHOWN = (409, 413, 422)


def attempt(call, form=None, *, show=None, statuses=SHOWN) -> tuple[Any, list]:
    """Call the API: ``(its answer, [])``, or ``(None, problems)`` when it refused with
    one of ``statuses``: ``show(failed)`` if given, else the refusal shown on ``form``
    (``form_problems``), else its message; the list is never empty on a refusal, so callers
    test it for success. Any other failure propagates (error pages)."""
    try:
        return call(), []
    except ServiceError as failed:
        if failed.upstream_status not in statuses:
            raise
        message = translate(failed.body.get("message", ""))
        if show is not None:
            return None, show(failed) or [message]
        return None, form_problems(form, failed) if form is not None else [message]


def form_problems(form, failed: ServiceError) -> list:
    """Show an API's 409/413/422 on ``form``: texts beside the fields it names; return the
    texts for the top of the form."""
    other = show_on(form, failed.errors)
    if other:
        return other
    if any(field.errors for field in form):
        return [_l("Nothing was saved: see the marked fields.")]
    if failed.upstream_status == 413:
        return [_l("What you sent is too large.")]
    return [translate(failed.body.get("message", ""))]
