"""A unit's key tasks through the scoring API: each task with its milestones and the
progress reported so far (with evidence links); reporting progress."""

from __future__ import annotations

from typing import Any

from services.portal.api_client import Apis


def tasks(apis: Apis, unit: str) -> list[dict[str, Any]]:
    """The unit's tasks (the API answers 403 for a unit person asking for another unit),
    each with its ``progress`` reports, newest first, and the ``latest`` of them."""
    found = apis.scoring.get_json("/api/v1/key-tasks", params={"unit": unit})
    for task in found:
        reports = apis.scoring.get_json(f"/api/v1/key-tasks/{task['code']}/progress")
        task["progress"] = sorted(reports, key=lambda r: (r["reported_at"] or "", r["id"]),
                                  reverse=True)
        task["latest"] = task["progress"][0] if task["progress"] else None
    return sorted(found, key=lambda t: (t["category"], t["code"]))


def report(apis: Apis, task: str, body: dict[str, Any], key: str) -> dict[str, Any]:
    """Report progress on ``task``; ``key`` (the form's UUID) makes a repeated post report
    once. Raises ServiceError with the API's 422/409 field errors."""
    return apis.scoring.post_json(f"/api/v1/key-tasks/{task}/progress", body,
                                  idempotency_key=key)
