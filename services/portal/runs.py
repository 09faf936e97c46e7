"""Score runs through the scoring API: start one, read its progress and result, publish it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from services.portal.api_client import Apis


def publish(apis: Apis, run_id: int) -> dict[str, Any]:
    """Publish a computed run (ServiceError 409 when it is published already)."""
    return apis.scoring.post_json(f"/api/v1/runs/{run_id}/publish", {})


def runs(apis: Apis) -> list[dict[str, Any]]:
    """Every run, newest first."""
    return sorted(apis.scoring.get_json("/api/v1/runs"), key=lambda r: r["id"], reverse=True)


def choices(apis: Apis) -> dict[str, list]:
    """What a new run may be made of: scheme versions, periods (newest first) and polls."""
    versions = []
    for scheme in apis.scoring.get_json("/api/v1/schemes"):
        for version in apis.scoring.get_json(f"/api/v1/schemes/{scheme['code']}/versions"):
            versions.append((version["id"], f"{scheme['code']} v{version['version']} · "
                                             f"{scheme['name_zh']} / {scheme['name_en']}"))
    periods = [(p["code"], p["code"]) for p in apis.scoring.get_json("/api/v1/periods")]
    polls = [(p["id"], f"#{p['id']} {p['name_zh']} / {p['name_en']}")
             for p in apis.survey.get_json("/api/v1/polls")]
    return {"versions": sorted(versions, reverse=True), "periods": periods[::-1],
            "polls": polls}


def start(apis: Apis, settings: dict[str, Any], key: str) -> dict[str, Any]:
    """Compute a run (the scoring API answers when it is computed; 422/409/503 else)."""
    return apis.scoring.post_json("/api/v1/runs", settings, idempotency_key=key)


def result(apis: Apis, run_id: int) -> dict[str, Any]:
    """The run, its ranking by peer group and, when it was asked for, its sensitivity."""
    run = apis.scoring.get_json(f"/api/v1/runs/{run_id}")
    groups: dict[str, list] = defaultdict(list)
    for row in apis.scoring.get_json(f"/api/v1/runs/{run_id}/ranking"):
        groups[row["peer_group"]].append(row)
    sensitivity = None
    if (run.get("options") or {}).get("sensitivity"):
        report = apis.scoring.get_json(f"/api/v1/runs/{run_id}/sensitivity")
        sensitivity = sorted(((name, variant) for name, variant in report["variants"].items()),
                             key=lambda item: item[0])
    seats = ((run.get("method") or {}).get("final") or {}).get("seats") or {}
    return {"run": run, "seats": seats, "sensitivity": sensitivity,
            "groups": [(group, sorted(rows, key=lambda r: (r["rank"] or 0, r["unit"])))
                       for group, rows in sorted(groups.items())]}
