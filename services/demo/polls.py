"""What the web and the telephone poll steps share: texts in both languages, the
townships polled, and a questionnaire with its poll, opened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.demo.context import DemoContext
from shared.client import ServiceClient
from shared.config import county_today


def texts(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


def townships(ctx: DemoContext) -> list[str]:
    """The township codes the scoring step loaded (``ctx.state["townships"]``), else the
    active townships of the scoring registry."""
    known = ctx.state.get("townships")
    if known:
        return [t["code"] if isinstance(t, dict) else str(t) for t in known]
    units = ctx.client("scoring", "planner").get_json("/api/v1/units?kind=township&active=true")
    return [u["code"] for u in units]


def open_poll(planner: ServiceClient, questionnaire: dict[str, Any], poll: dict[str, Any], *,
              field_days: tuple[int, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create ``questionnaire``, then ``poll`` on it in the field from today +
    ``field_days[0]`` to today + ``field_days[1]`` days, and open the poll; return both
    as the API answered them (the poll before opening)."""
    made = planner.post_json("/api/v1/questionnaires", questionnaire)
    today = county_today()
    created = planner.post_json("/api/v1/polls", {
        **poll, "questionnaire_id": made["id"],
        "field_start": (today + timedelta(days=field_days[0])).isoformat(),
        "field_end": (today + timedelta(days=field_days[1])).isoformat()})
    planner.request("POST", f"/api/v1/polls/{created['id']}/open")
    return made, created
