"""The field pages' part of the test county: a checklist with every item type, an open
plan for today with three units at known places for the inspector ``insp1``, and an
unannounced plan starting tomorrow, created through the inspection API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from shared.config import county_today
from tests.portal.county import INSPECTOR
from tests.portal.portal_support import person_token, sign_in

CHECKLIST = {
    "code": "field-spot", "name_zh": "植树造林明查", "name_en": "Tree planting check",
    "critical_cap": 60,
    "items": [
        {"item_id": "fire", "text_zh": "消防通道畅通", "text_en": "Fire exits clear", "weight": 2,
         "response_type": "pass_fail", "critical": True},
        {"item_id": "sanitation", "text_zh": "环境卫生", "text_en": "Sanitation", "weight": 1,
         "response_type": "points", "max_points": 10},
        # Measured against the unit's self-check (sc_count this month: T01 10, T02 none, T03 8).
        {"item_id": "sc_count", "text_zh": "新植树木（百株）", "text_en": "New trees (hundreds)",
         "weight": 1, "response_type": "measurement", "unit_of_measure": "百株",
         "tolerance": 0.1, "tolerance_kind": "relative", "photo_required": True},
        {"item_id": "trees_area", "text_zh": "植树面积", "text_en": "Area planted", "weight": 1,
         "response_type": "measurement", "unit_of_measure": "亩", "tolerance": 0.5},
        {"item_id": "remarks", "text_zh": "其他情况", "text_en": "Remarks", "weight": 0,
         "response_type": "text"},
    ],
}
PLACES = {"T01": (30.2741, 120.1551), "T02": (30.2500, 120.1700), "T03": (30.2900, 120.1300)}


def api(url: str, method: str, path: str, headers: dict, **kwargs):
    response = requests.request(method, f"{url}/api/v1{path}", headers=headers, timeout=10,
                                **kwargs)
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    return response.json()


def field_plans(county) -> dict[str, int]:
    """Create the plans; the ids of today's visits by unit, and of the plans."""
    planner = person_token("plan1", "planner")
    url, today = county.inspection_url, county_today()
    template = api(url, "POST", "/checklists", planner, json=CHECKLIST)["id"]
    plan = api(url, "POST", "/plans", planner, json={
        "name": "植树造林明查", "kind": "open", "template_id": template,
        "window_from": today.isoformat(), "window_to": (today + timedelta(days=5)).isoformat(),
        "self_check_period": today.strftime("%Y-%m"), "inspectors": [INSPECTOR],
        "targets": [{"unit": code, "lat": lat, "lon": lon, "inspector": INSPECTOR}
                    for code, (lat, lon) in PLACES.items()]})
    soon = api(url, "POST", "/plans", planner, json={
        "name": "明日暗访", "kind": "unannounced", "template_id": template,
        "window_from": (today + timedelta(days=1)).isoformat(),
        "window_to": (today + timedelta(days=3)).isoformat(), "inspectors": [INSPECTOR],
        "targets": [{"unit": "D001", "inspector": INSPECTOR}]})
    visits = {v["unit"]: v["id"] for v in api(url, "GET", f"/plans/{plan['id']}/visits", planner)}
    return {**visits, "plan": plan["id"], "soon": soon["id"], "template": template}


@pytest.fixture
def field(county):
    """The field plans of the test county (``field_plans``)."""
    return field_plans(county)


@pytest.fixture
def inspector(county_portal, make_person):
    """A test client signed in as the inspector ``insp1``, sending the CSRF token in the
    header the field pages' script uses."""
    make_person("insp1", "inspector")
    client = county_portal.test_client()
    sign_in(client, "insp1")
    token = client.get("/field/api/session").get_json()["csrf_token"]
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client
