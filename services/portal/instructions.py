"""Leadership instructions through the scoring API: the list, one with its trail, and
the actions of each side (the API checks who may do what: a unit only its own)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.portal.api_client import Apis

OPEN_STATES = ("open", "in_progress", "returned")


def listing(apis: Apis, overdue: bool = False) -> list[dict[str, Any]]:
    params = {"overdue": "true"} if overdue else {}
    return apis.scoring.get_json("/api/v1/instructions", params=params)


def detail(apis: Apis, instruction_id: int) -> dict[str, Any]:
    """The instruction, reports, extension requests and trail (404 for another unit's)."""
    return apis.scoring.get_json(f"/api/v1/instructions/{instruction_id}")


def create(apis: Apis, body: dict[str, Any], key: str) -> dict[str, Any]:
    return apis.scoring.post_json("/api/v1/instructions", body, idempotency_key=key)


def report(apis: Apis, instruction_id: int, body: dict[str, Any], key: str) -> dict[str, Any]:
    return apis.scoring.post_json(f"/api/v1/instructions/{instruction_id}/reports", body,
                                  idempotency_key=key)


def judge(apis: Apis, instruction_id: int, action: str, note: str) -> dict[str, Any]:
    return apis.scoring.post_json(f"/api/v1/instructions/{instruction_id}/judgement",
                                  {"action": action, "note": note or None})


def request_extension(apis: Apis, instruction_id: int, reason: str,
                      deadline: date) -> dict[str, Any]:
    return apis.scoring.post_json(f"/api/v1/instructions/{instruction_id}/extensions",
                                  {"reason": reason, "requested_deadline": deadline.isoformat()})


def decide_extension(apis: Apis, instruction_id: int, extension_id: int, approve: bool,
                     note: str) -> dict[str, Any]:
    return apis.scoring.post_json(
        f"/api/v1/instructions/{instruction_id}/extensions/{extension_id}",
        {"approve": approve, "note": note or None})


def open_items(apis: Apis, unit: str, today: date) -> list[dict[str, Any]]:
    """A unit's open work with deadlines, nearest first: rectification orders not
    closed, instructions still with the units, milestones not reported done."""
    items = [{"kind": "order", "id": o["id"], "title": o["instructions"],
              "deadline": o["deadline"], "state": o["state"]}
             for o in apis.inspection.get_json("/api/v1/orders") if o["state"] != "closed"]
    items += [{"kind": "instruction", "id": i["id"], "title": i["title"],
               "deadline": i["deadline"], "state": i["state"]}
              for i in listing(apis) if i["state"] in OPEN_STATES]
    for task in apis.scoring.get_json("/api/v1/key-tasks", params={"unit": unit}):
        progress = apis.scoring.get_json(f"/api/v1/key-tasks/{task['code']}/progress")
        done = {p["milestone"] for p in progress if p["status"] == "done"}
        pending = [m for m in task["milestones"] if m["seq"] not in done]
        if pending:
            first = pending[0]
            items.append({"kind": "milestone", "id": task["code"],
                          "title": f"{task['title_zh']} · {first['title'] or first['seq']}",
                          "deadline": first["due_on"], "state": "due"})
    for item in items:
        item["overdue"] = date.fromisoformat(item["deadline"]) < today
    return sorted(items, key=lambda i: (i["deadline"], i["kind"], str(i["id"])))
