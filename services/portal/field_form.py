"""The visit sheet sent as a plain HTML form: the field page works before its script has
arrived (a first load on a slow network: the page is usable as soon as its HTML is) and
without JavaScript at all.

The form carries what the script would send: a manual check-in with its reason (there is
no location without the script), the answers of every item type with their notes,
photos (hashed here, not on the phone), one finding and the rectification order proposed
from it, and the submission's ``client_uuid``, fixed when the page was rendered, so that
the same form sent twice (a double tap, the back button) is stored once: the inspection
API is idempotent on it, a photo is declared once per SHA-256 and an order once per
finding (``services.portal.field``). Nothing is sent until the whole form is valid, but
its photos: those are stored as soon as the visit is checked in (``submit``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage, MultiDict

from services.portal import field
from services.portal.api_client import Apis
from shared.numbers import parse_number

# The finding a form carries is named like the script's first one.
FORM_FINDING_REF = "f1"
SEVERITIES = ("minor", "major", "critical")
REASON_MAX = 500  # characters of a manual check-in's reason kept for the submission's note
# The form carries its photos as they are (not resized on the phone): its body may be
# this many times the largest photo (``PORTAL_PHOTO_MAX_BYTES``).
FORM_PHOTOS = 4


@dataclass
class Refused(Exception):
    """The form is not sent: ``problems`` for the top of the page, ``items`` by item id
    and ``fields`` by form field name, in the person's language."""

    problems: list = dataclass_field(default_factory=list)
    items: dict[str, Any] = dataclass_field(default_factory=dict)
    fields: dict[str, Any] = dataclass_field(default_factory=dict)
    kept_photos: bool = False  # the form's photos were stored all the same

    @property
    def refuses(self) -> bool:
        return bool(self.problems or self.items or self.fields)

    @property
    def status(self) -> int:
        """422 when something is refused, 200 for a sheet shown again as it was."""
        return 422 if self.refuses else 200


def manual_fix(place: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """The check-in body without a location fix, as the script sends it: the registered
    place, ``manual``, an accuracy of 100 km, so that the inspection service flags it
    rather than trusts it."""
    return {"lat": place.get("lat") or 0.0, "lon": place.get("lon") or 0.0,
            "accuracy_m": 100000.0, "provider": "manual", "mock_location": False,
            "device_time": moment.isoformat()}


def check_in(apis: Apis, sheet: dict[str, Any], reason: str, moment: datetime
             ) -> tuple[dict[str, Any], str]:
    """Check in the visit of ``sheet`` (``field.sheet``) without a location, with the
    inspector's reason: the visit, and the reason as kept for the submission's note
    (``Refused`` without one).

    A visit checked in already is ``Refused`` with nothing to say: the form's first
    button is this one, so Enter in any field of the sheet lands here, and the sheet is
    shown again with what was typed."""
    if sheet["visit"].get("checkin") is not None:
        raise Refused()
    reason = reason.strip()
    if not reason:
        raise Refused(fields={"manual_reason": [_l("Give a reason.")]})
    visit = field.check_in(apis, sheet["visit"]["id"], manual_fix(sheet["place"], moment))
    return visit, reason[:REASON_MAX]


def manual_note(reason: str) -> str:
    return str(_l("Check-in without a precise location: %(reason)s", reason=reason))


def item_answer(item: dict[str, Any], form: MultiDict, has_photo: bool
                ) -> tuple[dict[str, Any], Any]:
    """One item's answer for the API from the form's fields, and its problem (None when
    the answer is complete); the rules of the script's ``itemAnswer``."""
    item_id, kind = item["item_id"], item["response_type"]
    answer: dict[str, Any] = {"item_id": item_id}
    note = (form.get(f"note:{item_id}") or "").strip()
    result = form.get(f"result:{item_id}") or None
    problem = None
    if kind == "pass_fail":
        answer["result"] = result
        if not result:
            problem = _l("Choose an answer.")
    elif kind == "points":
        maximum = item.get("max_points")
        if form.get(f"na:{item_id}"):
            answer["result"] = "na"
        else:
            points = _number(form.get(f"points:{item_id}"))
            if points is None or not 0 <= points <= float(maximum or 0):
                problem = _l("Give the points (0 to %(max)s) or choose N/A.", max=maximum)
            else:
                answer["points"] = points
    elif kind == "measurement":
        if result == "na":
            answer["result"] = "na"
        else:
            value = _number(form.get(f"value:{item_id}"))
            if value is None:
                problem = _l("Give the measured value or choose N/A.")
            else:
                answer["value"] = value
                if result:
                    answer["result"] = result
    else:
        answer["text"] = form.get(f"text:{item_id}") or None
    if kind != "text" and note:
        answer["text"] = note
    if problem is None and item.get("photo_required") and answer.get("result") != "na" \
            and not has_photo:
        problem = _l("Add a photo of this item, or choose N/A.")
    return answer, problem


@dataclass
class Photo:
    item_id: str
    filename: str
    content_type: str
    content: bytes

    @property
    def meta(self) -> dict[str, Any]:
        return {"sha256": hashlib.sha256(self.content).hexdigest(), "item_id": self.item_id,
                "filename": self.filename, "content_type": self.content_type}


def photos(files: MultiDict, item_ids: list[str]) -> tuple[list[Photo], dict[str, Any]]:
    """The photos chosen in the form (``photo:<item>``), and problems by item id."""
    found, problems = [], {}
    for item_id in item_ids:
        for upload in files.getlist(f"photo:{item_id}"):
            if not isinstance(upload, FileStorage) or not upload.filename:
                continue
            content = upload.read()
            if upload.mimetype not in field.PHOTO_TYPES or not content:
                problems[item_id] = _l("A photo is JPEG, PNG or WebP.")
                continue
            found.append(Photo(item_id, upload.filename, upload.mimetype, content))
    return found, problems


def finding_and_order(form: MultiDict, today: date, unit: str
                      ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict]:
    """The form's finding (None when its description is empty), the order confirmed from
    it (None unless ticked), and problems by form field."""
    description = (form.get("finding_description") or "").strip()
    severity = form.get("finding_severity") or "minor"
    wants_order = bool(form.get("order_confirm"))
    problems: dict[str, list] = {}
    if severity not in SEVERITIES:
        problems["finding_severity"] = [_l("Choose an answer.")]
    if not description:
        if wants_order:
            problems["finding_description"] = [_l("Describe the finding.")]
        return None, None, problems
    finding = {"ref": FORM_FINDING_REF, "severity": severity,
               "item_id": form.get("finding_item") or None, "description": description}
    if not wants_order:
        return finding, None, problems
    deadline = (form.get("order_deadline") or "").strip()
    if not deadline and severity in field.ORDER_DAYS:
        deadline = (today + timedelta(days=field.ORDER_DAYS[severity])).isoformat()
    instructions = (form.get("order_instructions") or "").strip()
    if not deadline:
        problems["order_deadline"] = [_l("Give a deadline.")]
    if not instructions:
        problems["order_instructions"] = [_l("Say what must be fixed.")]
    order = {"finding_ref": FORM_FINDING_REF, "deadline": deadline, "unit": unit,
             "instructions": instructions}
    return finding, order, problems


def submit(apis: Apis, sheet: dict[str, Any], form: MultiDict, files: MultiDict, *,
           today: date, reason: str | None = None) -> dict[str, Any]:
    """Send the visit of ``sheet`` (``field.sheet``) from the form: photos, then the
    submission (or amendment), then the order. ``Refused`` when the form is incomplete,
    having sent nothing but its photos: they are stored as evidence of the checked-in
    visit, so that a refused form loses none (a file input cannot be refilled, and a
    stored photo counts when the form comes again). ``reason``: the manual check-in's
    reason this person gave (prefixed to the notes)."""
    visit, items = sheet["visit"], sheet["checklist"]["items"]
    visit_id = visit["id"]
    refused = Refused()
    if visit.get("checkin") is None:
        refused.problems.append(_l("Check in first."))
    chosen, refused.items = photos(files, [item["item_id"] for item in items])
    stored = {a["item_id"] for a in visit.get("attachments", [])
              if a["kind"] == "photo" and a["status"] == "received"}
    with_photo = stored | {photo.item_id for photo in chosen}
    answers = []
    for item in items:
        answer, problem = item_answer(item, form, item["item_id"] in with_photo)
        answers.append(answer)
        if problem is not None:
            refused.items.setdefault(item["item_id"], problem)
    finding, order, refused.fields = finding_and_order(form, today, visit["unit"])
    amend = visit["status"] == "returned"
    if amend and not (form.get("reason") or "").strip():
        refused.fields["reason"] = [_l("Give the reason for the amendment.")]
    client_uuid = (form.get("client_uuid") or "").strip()
    if not client_uuid:
        refused.problems.append(_l("The page has expired: reload it."))
    if refused.items or refused.fields:
        refused.problems.append(_l("%(n)s answers are missing or not valid; they are "
                                   "marked below.",
                                   n=len(refused.items) + len(refused.fields)))
    if chosen and (not refused.refuses or visit["status"] == "checked_in"):
        for photo in chosen:
            field.receive_photo(apis, visit_id, photo.meta, photo.content)
        refused.kept_photos = refused.refuses
    if refused.refuses:
        raise refused
    notes = [manual_note(reason) if reason else "", (form.get("notes") or "").strip()]
    body: dict[str, Any] = {"client_uuid": client_uuid, "answers": answers,
                            "findings": [finding] if finding else [],
                            "notes": "\n".join(n for n in notes if n) or None}
    if amend:
        body["reason"] = form["reason"].strip()
    sent = field.submit(apis, visit_id, body, amend=amend)
    issued = field.issue_order(apis, visit_id, order) if order else None
    return {"visit": sent, "order": issued}


def _number(text: str | None) -> float | None:
    """A typed number (``shared.numbers``: full-width digits too); None when empty or not
    a number."""
    try:
        return parse_number(text or "")
    except ValueError:
        return None
