"""Inspection plans through the inspection API: plans (open or unannounced) with their
drawn sample and seed, a new plan by hand or by a stratified draw of the registry's
units, giving visits to inspectors, reviewing submitted visits, overdue orders."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from services.portal.api_client import Apis

DONE = ("submitted", "approved")


def plans(apis: Apis) -> list[dict[str, Any]]:
    """Every plan the person may see, newest window first, with visits done of visits."""
    done: Counter = Counter()
    total: Counter = Counter()
    for visit in apis.inspection.get_json("/api/v1/visits"):
        total[visit["plan_id"]] += 1
        done[visit["plan_id"]] += visit["status"] in DONE
    rows = [{**plan, "done": done[plan["id"]], "total": total[plan["id"]]}
            for plan in apis.inspection.get_json("/api/v1/plans")]
    return sorted(rows, key=lambda p: (p["window_from"], p["id"]), reverse=True)


def checklists(apis: Apis) -> list[dict[str, Any]]:
    return apis.inspection.get_json("/api/v1/checklists")


def units(apis: Apis) -> list[dict[str, Any]]:
    """The registry's active units (the frame of a draw: stratum = peer group)."""
    return sorted(apis.scoring.get_json("/api/v1/units"), key=lambda u: u["code"])


def body(form: dict[str, Any], registry: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan request: targets by hand, or a stratified draw of ``per_stratum`` units of
    each peer group (the service records the seed, drawn when none is given)."""
    plan = {key: form[key] for key in ("name", "kind", "template_id", "inspectors")}
    plan["window_from"] = form["window_from"].isoformat()
    plan["window_to"] = form["window_to"].isoformat()
    if form["selection"] == "draw":
        draw: dict[str, Any] = {"frame": [{"unit": u["code"], "stratum": u["peer_group"]}
                                          for u in registry],
                                "per_stratum": form["per_stratum"]}
        if form.get("seed") is not None:
            draw["seed"] = form["seed"]
        plan["draw"] = draw
    else:
        plan["targets"] = [{"unit": code} for code in form["units"]]
    return plan


def create(apis: Apis, plan: dict[str, Any], key: str) -> dict[str, Any]:
    return apis.inspection.post_json("/api/v1/plans", plan, idempotency_key=key)


def plan(apis: Apis, plan_id: int) -> dict[str, Any]:
    """The plan (its draw: frame, sizes, seed, selection) and its visits."""
    found = apis.inspection.get_json(f"/api/v1/plans/{plan_id}")
    found["visit_rows"] = sorted(apis.inspection.get_json(f"/api/v1/plans/{plan_id}/visits"),
                                 key=lambda v: (v["unit"], v["id"]))
    return found


def assign(apis: Apis, visit_id: int, inspector: str) -> dict[str, Any]:
    return apis.inspection.post_json(f"/api/v1/visits/{visit_id}/assign",
                                     {"inspector": inspector})


def visit(apis: Apis, visit_id: int) -> dict[str, Any]:
    """A visit with its versions; ``current`` is the version under review."""
    found = apis.inspection.get_json(f"/api/v1/visits/{visit_id}")
    versions = found.get("versions") or []
    found["current"] = next((v for v in versions if v["version"] == found["current_version"]),
                            versions[-1] if versions else None)
    return found


def review(apis: Apis, visit_id: int, decision: str, comment: str) -> dict[str, Any]:
    return apis.inspection.post_json(f"/api/v1/visits/{visit_id}/review",
                                     {"decision": decision, "comment": comment or None})


def overdue(apis: Apis, today: date) -> list[dict[str, Any]]:
    """Orders not closed by their deadline (as of the county's today)."""
    return apis.inspection.get_json("/api/v1/orders/overdue",
                                    params={"as_of": today.isoformat()})
