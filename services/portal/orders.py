"""Rectification orders through the inspection API: read them, and the responsible unit's
reply (a note with photos or files) that the inspectors verify or reject."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from services.portal.api_client import Apis
from shared.errors import ValidationFailed

# What the inspection service takes as evidence of a fix: kind by content type.
KINDS = {"image/jpeg": "photo", "image/png": "photo", "image/webp": "photo",
         "image/heic": "photo", "application/pdf": "document"}
REPLYABLE = ("open", "reopened")


def get_order(apis: Apis, order_id: int) -> dict[str, Any]:
    """One order (the API answers 404 to a unit person for another unit's order)."""
    return apis.inspection.get_json(f"/api/v1/orders/{order_id}")


def list_orders(apis: Apis, today: date) -> list[dict[str, Any]]:
    """The orders the person may see: not closed first, nearest deadline first."""
    rows = [{**order, "overdue": order["state"] != "closed"
             and date.fromisoformat(order["deadline"]) < today}
            for order in apis.inspection.get_json("/api/v1/orders")]
    return sorted(rows, key=lambda o: (o["state"] == "closed", o["deadline"], o["id"]))


def replies(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Each reply of the unit (a move to ``submitted``) with its files and what became
    of it: ``verdict`` ``waiting``, ``rejected`` (with ``reason``) or ``verified``."""
    files = {a["id"]: a for a in order.get("attachments") or []}
    out: list[dict[str, Any]] = []
    for event in order.get("events") or []:
        if event["to_state"] == "submitted":
            out.append({"at": event["at"], "by": event["actor"], "note": event["note"],
                        "files": [files[i] for i in event.get("attachment_ids") or []
                                  if i in files],
                        "verdict": "waiting", "reason": None, "decided_at": None})
        elif out and out[-1]["verdict"] == "waiting" and event["from_state"] == "submitted":
            verified = event["to_state"] == "closed"
            out[-1].update(verdict="verified" if verified else "rejected",
                           reason=None if verified else event["note"],
                           decided_at=event["at"])
    return out


def reply(apis: Apis, order_id: int, note: str, files: list[tuple[str, str, bytes]]
          ) -> dict[str, Any]:
    """Reply to the order with ``note`` and ``files`` (name, content type, bytes): each file
    is declared (once per SHA-256: a repeated reply reuses it) and its bytes sent, then
    the fix is submitted with them. ValidationFailed (422) for a type the service does
    not take; ServiceError for the API's refusals (409: not open any more)."""
    kinds = {name: KINDS.get(content_type) for name, content_type, _ in files}
    refused = [name for name, kind in kinds.items() if kind is None]
    if refused:
        raise ValidationFailed(_l("A file is not a photo or a PDF."), {"files": [
            _l("%(name)s: only JPEG, PNG, WebP, HEIC photos and PDF files are taken.",
               name=name) for name in refused]})
    order = get_order(apis, order_id)
    stored = {a["sha256"]: a for a in order.get("attachments") or []}
    ids = []
    for name, content_type, content in files:
        digest = hashlib.sha256(content).hexdigest()
        attachment = stored.get(digest)
        if attachment is None:
            attachment = apis.inspection.post_json(f"/api/v1/orders/{order_id}/attachments", {
                "kind": KINDS[content_type], "filename": name, "content_type": content_type,
                "size": len(content), "sha256": digest})
        if attachment["status"] != "received":
            attachment = apis.inspection.request(
                "PUT", f"/api/v1/orders/{order_id}/attachments/{attachment['id']}/content",
                data=content, headers={"Content-Type": "application/octet-stream"}).json()
        ids.append(attachment["id"])
    return apis.inspection.post_json(f"/api/v1/orders/{order_id}/submit",
                                     {"note": note, "attachment_ids": ids})


def download(apis: Apis, order_id: int, attachment_id: int):
    """The stored file of an order (the API checks it against its SHA-256 first): the
    ``requests`` response, streamed."""
    return apis.inspection.request(
        "GET", f"/api/v1/orders/{order_id}/attachments/{attachment_id}/content", stream=True)
