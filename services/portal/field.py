"""The inspector's field pages: what they read and send through the inspection API.

Everything goes through the person's own token (``access.apis()``), so an inspector
sees only the plans and visits the inspection API shows them: an unannounced plan is
there only as the API reveals it. The writes are those of a device coming back on line
with a queue of work, so each is safe to send again:

- a check-in of a visit that is already checked in answers the stored check-in
  (``already``) instead of the API's 409;
- a photo is declared once per SHA-256 (a declaration left by a lost upload is reused,
  a received file is answered as it is), its bytes checked here before any declaration,
  so that a damaged upload never leaves a declared attachment that blocks the submission;
- a submission or amendment carries the device's ``client_uuid``, on which the API is
  idempotent;
- a rectification order names its finding by the device's ``ref``; an order the
  inspector already issued for that finding is answered instead of a second one.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from services.portal.api_client import Apis
from shared.client import ServiceError
from shared.errors import DependencyDown, ValidationFailed

OPEN_STATES = ("scheduled", "checked_in", "returned")
# Deadlines proposed for an order from a finding, in days (the inspector may change them).
ORDER_DAYS = {"critical": 7, "major": 30}
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


def work(apis: Apis, today: date, days_ahead: int) -> dict[str, list[dict[str, Any]]]:
    """The inspector's open visits whose plan window holds ``today`` (``today``) and
    those starting within ``days_ahead`` days (``upcoming``), each with its plan,
    checklist and unit."""
    plans = {plan["id"]: plan for plan in apis.inspection.get_json("/api/v1/plans")}
    units = _units(apis)
    checklists: dict[int, dict[str, Any]] = {}
    found: dict[str, list[dict[str, Any]]] = {"today": [], "upcoming": []}
    for visit in apis.inspection.get_json("/api/v1/visits"):
        plan = plans.get(visit["plan_id"])
        if plan is None or visit["status"] not in OPEN_STATES:
            continue
        start, end = date.fromisoformat(plan["window_from"]), date.fromisoformat(plan["window_to"])
        if start <= today <= end:
            part = "today"
        elif today < start <= today + timedelta(days=days_ahead):
            part = "upcoming"
        else:
            continue
        if plan["template_id"] not in checklists:
            checklists[plan["template_id"]] = apis.inspection.get_json(
                f"/api/v1/checklists/{plan['template_id']}")
        found[part].append({**visit, "plan": plan, "checklist": checklists[plan["template_id"]],
                            "place": place(units.get(visit["unit"]),
                                           visit.get("registered_location"))})
    for rows in found.values():
        rows.sort(key=lambda v: (v["plan"]["window_from"], v["unit"], v["id"]))
    return found


def sheet(apis: Apis, visit_id: int) -> dict[str, Any]:
    """One visit with what its page shows: plan, checklist, the unit's name and place,
    the self-reported figures (known from check-in on) and the proposed order days."""
    visit = apis.inspection.get_json(f"/api/v1/visits/{visit_id}")
    plan = apis.inspection.get_json(f"/api/v1/plans/{visit['plan_id']}")
    checklist = apis.inspection.get_json(f"/api/v1/checklists/{plan['template_id']}")
    unit = _units(apis, visit["unit"]).get(visit["unit"])
    reported = (visit.get("self_reports") or {}).get("values", {})
    return {"visit": visit, "plan": plan, "checklist": checklist,
            "place": place(unit, visit.get("registered_location")),
            "reported": reported, "order_days": ORDER_DAYS}


def place(unit: dict[str, Any] | None, registered: dict[str, float] | None) -> dict[str, Any]:
    """The unit's names and the location a check-in is measured against: the visit's
    registered location, else the registry's; ``lat``/``lon`` None when neither has both."""
    unit = unit or {}
    where = registered or {"lat": unit.get("lat"), "lon": unit.get("lon")}
    if where.get("lat") is None or where.get("lon") is None:
        where = {"lat": None, "lon": None}
    return {"name_zh": unit.get("name_zh"), "name_en": unit.get("name_en"), **where}


def _units(apis: Apis, code: str | None = None) -> dict[str, dict[str, Any]]:
    """Units of the registry by code (one unit when ``code`` is given); empty when the
    scoring service does not answer: the field pages still work with codes only."""
    try:
        if code is not None:
            return {code: apis.scoring.get_json(f"/api/v1/units/{code}")}
        return {u["code"]: u for u in apis.scoring.get_json("/api/v1/units")}
    except (DependencyDown, ServiceError):  # names and places are a convenience here
        return {}


def check_in(apis: Apis, visit_id: int, fix: dict[str, Any]) -> dict[str, Any]:
    """Check in with ``fix`` (the API's check-in body); a visit already checked in
    answers as it is, with ``already`` true. ServiceError for the API's refusals."""
    try:
        visit = apis.inspection.post_json(f"/api/v1/visits/{visit_id}/check-in", fix)
        return {**visit, "already": False}
    except ServiceError as exc:
        if exc.upstream_status != 409:
            raise
        visit = apis.inspection.get_json(f"/api/v1/visits/{visit_id}")
        if visit.get("checkin") is None:
            raise
        return {**visit, "already": True}


def receive_photo(apis: Apis, visit_id: int, meta: dict[str, Any], content: bytes
                  ) -> dict[str, Any]:
    """Store one photo of the visit: declared once per SHA-256 and item, then its bytes.

    ``meta``: ``sha256`` (what the device computed), ``filename``, ``content_type``,
    ``item_id`` (optional). ValidationFailed (422) when the bytes do not hash to
    ``sha256`` or the type is not a photo's; nothing is declared then.
    """
    digest = hashlib.sha256(content).hexdigest()
    problems = {}
    if digest != meta["sha256"].lower():
        problems["sha256"] = [_l("The bytes received hash to %(digest)s.", digest=digest)]
    if meta["content_type"] not in PHOTO_TYPES:
        problems["content_type"] = [_l("A photo is JPEG, PNG or WebP.")]
    if not content:
        problems["content"] = [_l("The photo is empty.")]
    if problems:
        raise ValidationFailed(_l("The photo did not arrive intact."), problems)
    visit = apis.inspection.get_json(f"/api/v1/visits/{visit_id}")
    attachment = next((a for a in visit["attachments"]
                       if a["sha256"] == digest and a["kind"] == "photo"
                       and a["item_id"] == meta.get("item_id")), None)
    if attachment is None:
        attachment = apis.inspection.post_json(f"/api/v1/visits/{visit_id}/attachments", {
            "kind": "photo", "filename": meta["filename"], "content_type": meta["content_type"],
            "size": len(content), "sha256": digest, "item_id": meta.get("item_id")})
    if attachment["status"] == "received":
        return attachment
    return apis.inspection.request(
        "PUT", f"/api/v1/visits/{visit_id}/attachments/{attachment['id']}/content",
        data=content, headers={"Content-Type": "application/octet-stream"}).json()


def submit(apis: Apis, visit_id: int, body: dict[str, Any], *, amend: bool = False
           ) -> dict[str, Any]:
    """Submit (or amend, with ``body["reason"]``) the visit's answers; idempotent on
    ``body["client_uuid"]``, so the client may retry on a lost answer."""
    action = "amend" if amend else "submit"
    return apis.inspection.post_json(f"/api/v1/visits/{visit_id}/{action}", body,
                                     idempotency_key=str(body.get("client_uuid") or "") or None)


def issue_order(apis: Apis, visit_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """A rectification order from the finding ``body["finding_ref"]`` of the visit's
    current version (``deadline``, ``instructions``, optional ``unit``); the order the
    inspector already issued for that finding when there is one (``already`` true).
    ValidationFailed (422) when the current version has no such finding."""
    visit = apis.inspection.get_json(f"/api/v1/visits/{visit_id}")
    current = [v for v in visit["versions"] if v["version"] == visit["current_version"]]
    finding = next((f for v in current for f in v["findings"]
                    if f["ref"] == body.get("finding_ref")), None)
    if finding is None:
        raise ValidationFailed(_l("No such finding."), {
            "finding_ref": [_l("Not a finding of the visit's current version.")]})
    for order in apis.inspection.get_json("/api/v1/orders"):
        if order["finding_id"] == finding["id"]:
            return {**order, "already": True}
    order = apis.inspection.post_json("/api/v1/orders", {
        "finding_id": finding["id"], "deadline": body.get("deadline"),
        "instructions": body.get("instructions"), "unit": body.get("unit") or visit["unit"]})
    return {**order, "already": False}
