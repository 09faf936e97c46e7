"""Telephone campaigns through the survey API: list, create, settings, state changes,
the sampling frame, and the live monitor's numbers."""

from __future__ import annotations

from typing import Any

from flask_babel import format_decimal, format_percent

from services.portal.api_client import Apis
from services.portal.labels import label

ACTIONS = ("start", "pause", "resume", "cancel")
# Which actions the campaign's state allows (the service refuses the others with a 409).
ALLOWED = {"draft": ("start", "cancel"), "running": ("pause", "cancel"),
           "paused": ("resume", "cancel"), "cancelled": (), "finished": ()}
# AAPOR groups the monitor shows per township, in this order.
DISPOSITIONS = ("completes", "partials", "refusals", "non_contacts", "other", "unknown",
                "not_eligible")


def campaigns(apis: Apis) -> list[dict[str, Any]]:
    """Every campaign, newest first."""
    return sorted(apis.survey.get_json("/api/v1/telephony/campaigns"),
                  key=lambda c: c["id"], reverse=True)


def phone_polls(apis: Apis) -> list[dict[str, Any]]:
    """Polls a campaign may call for: those with the phone mode, not closed."""
    return [poll for poll in apis.survey.get_json("/api/v1/polls")
            if "phone" in poll.get("modes", []) and poll.get("status") != "closed"]


def campaign(apis: Apis, campaign_id: int) -> dict[str, Any]:
    return apis.survey.get_json(f"/api/v1/telephony/campaigns/{campaign_id}")


def create(apis: Apis, settings: dict[str, Any], key: str) -> dict[str, Any]:
    """A draft campaign (ServiceError 422 names the fields it refuses)."""
    return apis.survey.post_json("/api/v1/telephony/campaigns", settings, idempotency_key=key)


def change(apis: Apis, campaign_id: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Change the settings sent (the others stay)."""
    return apis.survey.request("PATCH", f"/api/v1/telephony/campaigns/{campaign_id}",
                               json=settings).json()


def act(apis: Apis, campaign_id: int, action: str) -> dict[str, Any]:
    """start, pause, resume or cancel (ServiceError 409 when the state does not allow it)."""
    return apis.survey.request("POST",
                               f"/api/v1/telephony/campaigns/{campaign_id}/{action}").json()


def import_frame(apis: Apis, campaign_id: int, name: str, content: bytes) -> dict[str, Any]:
    """The numbers to call (CSV: phone, township[, stratum]); the import's counts."""
    return apis.survey.request("POST", f"/api/v1/telephony/campaigns/{campaign_id}/frame",
                               files={"file": (name, content, "text/csv")}).json()


def monitor(apis: Apis, campaign_id: int) -> dict[str, Any]:
    """The live numbers: per township dialled, completes, quota fill, RR3 and the AAPOR
    groups; the totals; the overall rates."""
    return monitor_of(apis.survey.get_json(
        f"/api/v1/telephony/campaigns/{campaign_id}/progress"))


def monitor_of(progress: dict[str, Any]) -> dict[str, Any]:
    """``monitor``'s numbers out of the API's progress."""
    rows = progress["townships"]
    totals = {key: sum(row[key] for row in rows)
              for key in ("cases", "dialled", "target_completes", *DISPOSITIONS)}
    target = totals["target_completes"]
    totals["quota_fill"] = min(totals["completes"] / target, 1.0) if target else None
    rates = (progress.get("overall") or {}).get("rates") or {}
    return {"campaign_id": progress["campaign_id"], "state": progress["state"],
            "pending": progress["pending"], "claimed": progress["claimed"],
            "in_progress": progress["in_progress"],
            "townships": [{key: row[key] for key in (
                "township", "cases", "dialled", "target_completes", "quota_fill", "rr3",
                *DISPOSITIONS)} for row in rows],
            "totals": totals, "rr3": rates.get("RR3"), "rr1": rates.get("RR1")}


def _percent(value: float | None) -> str:
    return "–" if value is None else format_percent(value, "#,##0.0%")


def _cells(row: dict[str, Any]) -> dict[str, str]:
    cells = {key: format_decimal(row[key], "#,##0") for key in
             ("cases", "dialled", "target_completes", *DISPOSITIONS)}
    cells["quota"] = f"{cells['completes']} / {cells['target_completes']}"
    cells["quota_fill"] = _percent(row["quota_fill"])
    cells["rr3"] = _percent(row.get("rr3"))
    return cells


def texts(numbers: dict[str, Any]) -> dict[str, Any]:
    """The monitor's cells as the page shows them, in the person's language: the page
    and ``static/monitor.js`` write the same texts."""
    return {"state": numbers["state"], "state_label": str(label(numbers["state"])),
            "in_progress": format_decimal(numbers["in_progress"], "#,##0"),
            "pending": format_decimal(numbers["pending"], "#,##0"),
            "townships": {row["township"]: _cells(row) for row in numbers["townships"]},
            "totals": {**_cells(numbers["totals"]), "rr3": _percent(numbers["rr3"])}}
