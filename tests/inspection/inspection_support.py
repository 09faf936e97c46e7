"""Support for the inspection tests: a scoring-registry stub over real HTTP, an app whose
evidence goes to a temporary folder, and small helpers that drive the API. The
fixtures are registered by ``conftest.py`` beside this file."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from flask import Flask, abort, jsonify, request

from tests.support import serving

# Registered locations and self-reported values the stub serves (contract of scoring).
UNITS = {
    "T01": {"lat": 30.0, "lon": 120.0},
    "T02": {"lat": 30.1, "lon": 120.1},
    "T03": {"lat": None, "lon": None},
    "T04": {"lat": 30.2, "lon": None},  # half a location in the registry
}
SELF_CHECKS = {("T01", "2026-06"): {"env.trees_area": 100.0, "sc_investment": 1500.0,
                                    "sc_complaints_closed": 97.5, "sc_safety_incidents": 0.0},
               ("T02", "2026-06"): {"env.trees_area": 50.0, "sc_complaints_closed": 95.0}}

CHECKLIST = {
    "code": "env-spot", "name_zh": "环境整治抽查", "name_en": "Environment spot check",
    "critical_cap": 60,
    "items": [
        {"item_id": "safety.fire_exits", "text_zh": "消防通道畅通", "text_en": "Fire exits clear",
         "weight": 2, "response_type": "pass_fail", "critical": True},
        {"item_id": "env.sanitation", "text_zh": "环境卫生", "text_en": "Sanitation",
         "weight": 1, "response_type": "points", "max_points": 10},
        {"item_id": "env.trees_area", "text_zh": "植树面积", "text_en": "Area of trees planted",
         "weight": 1, "response_type": "measurement", "unit_of_measure": "mu",
         "tolerance": 0.1, "tolerance_kind": "relative", "photo_required": True},
        {"item_id": "note", "text_zh": "备注", "text_en": "Remarks", "weight": 0,
         "response_type": "text"},
    ],
}


def stub_registry() -> Flask:
    app = Flask("scoring-stub")

    @app.get("/api/v1/units/<code>")
    def unit(code):
        if code not in UNITS:
            abort(404)
        return jsonify({"code": code, "name_zh": code, "name_en": code, "kind": "township",
                        "peer_group": "G1", "active_from": None, "active_to": None,
                        **UNITS[code]})

    @app.get("/api/v1/units")
    def units():
        return jsonify([{"code": code, "name_zh": code, "name_en": code, "kind": "township",
                         "peer_group": "G1", "active_from": None, "active_to": None,
                         **where} for code, where in UNITS.items()])

    @app.get("/api/v1/self-checks")
    def self_checks():
        unit, period = request.args.get("unit"), request.args["period"]
        return jsonify([{"unit": code, "period": month, "indicator": name, "target": None,
                         "actual": value, "unit_of_measure": "mu", "version": 1}
                        for (code, month), values in SELF_CHECKS.items()
                        if month == period and unit in (None, code)
                        for name, value in values.items()])

    return app


@pytest.fixture(scope="session")
def registry_url():
    with serving(stub_registry()) as url:
        yield url


@pytest.fixture
def evidence_dir(tmp_path):
    return tmp_path / "evidence"


@pytest.fixture
def app(make_app, registry_url, evidence_dir):
    return make_app("inspection", SCORING_URL=registry_url,
                    INSPECTION_EVIDENCE_DIR=str(evidence_dir))


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Drives the inspection API as the various roles; asserts the expected status."""

    def __init__(self, client, auth):
        self.client, self.auth = client, auth

    def call(self, method, path, role="planner", unit=None, sub=None, expect=200, **kwargs):
        response = self.client.open(f"/api/v1{path}", method=method,
                                    headers=self.auth(role, unit, sub), **kwargs)
        assert response.status_code == expect, (response.status_code, response.get_json())
        return response.get_json() if response.is_json else response

    def checklist(self, body=None):
        return self.call("POST", "/checklists", json=body or CHECKLIST, expect=201)

    def plan(self, template_id, kind="unannounced", targets=("T01", "T02"), **extra):
        body = {"name": "June checks", "kind": kind, "template_id": template_id,
                "window_from": "2026-06-01", "window_to": "2026-06-30",
                "self_check_period": "2026-06", "inspectors": ["insp-a"],
                "targets": [{"unit": code} for code in targets], **extra}
        if "draw" in extra:
            body.pop("targets")
        return self.call("POST", "/plans", json=body, expect=201)

    def visits(self, plan_id):
        return self.call("GET", f"/plans/{plan_id}/visits")

    def checked_in_visit(self, kind="unannounced"):
        """A new checklist and plan (T01, T02); the first visit checked in: its id."""
        template = self.checklist()
        plan = self.plan(template["id"], kind=kind)
        visit = self.visits(plan["id"])[0]
        self.check_in(visit["id"])
        return visit["id"]

    def content(self, visit_id, attachment_id, expect=200, **who):
        """GET a visit's evidence file (as a planner unless ``who`` says otherwise)."""
        who = who or {"role": "planner"}
        return self.call("GET", f"/visits/{visit_id}/attachments/{attachment_id}/content",
                         expect=expect, **who)

    def check_in(self, visit_id, lat=30.0, lon=120.0, **extra):
        body = {"lat": lat, "lon": lon, "accuracy_m": 8, "provider": "gps",
                "mock_location": False, **extra}
        return self.call("POST", f"/visits/{visit_id}/check-in", role="inspector", sub="insp-a",
                         json=body)

    def attach(self, visit_id, content: bytes, item_id="env.trees_area", kind="photo",
               content_type="image/png", sha256=None, upload=True):
        body = {"kind": kind, "filename": "photo.png", "content_type": content_type,
                "size": len(content), "sha256": sha256 or hashlib.sha256(content).hexdigest(),
                "item_id": item_id}
        declared = self.call("POST", f"/visits/{visit_id}/attachments", role="inspector",
                             sub="insp-a", json=body, expect=201)
        if upload:
            self.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
                      role="inspector", sub="insp-a", data=content)
        return declared

    def audited_history(self):
        """A plan created and read, a visit checked in, its photo uploaded, the visit
        submitted and approved: the audit log's seven entries (as the admin reads them)."""
        template = self.checklist()
        plan = self.plan(template["id"])
        visit = self.visits(plan["id"])[0]
        self.call("GET", f"/plans/{plan['id']}")
        self.check_in(visit["id"])
        self.attach(visit["id"], PNG)
        self.submit(visit["id"])
        self.call("POST", f"/visits/{visit['id']}/review", json={"decision": "approve"})
        return self.call("GET", "/audit", role="admin")

    def submit(self, visit_id, answers=None, findings=(), client_uuid=None, expect=200):
        body = {"client_uuid": client_uuid or str(uuid.uuid4()),
                "answers": answers if answers is not None else good_answers(),
                "findings": list(findings)}
        return self.call("POST", f"/visits/{visit_id}/submit", role="inspector", sub="insp-a",
                         json=body, expect=expect)


def good_answers(trees=100.0, fire="pass", sanitation=8.0):
    return [{"item_id": "safety.fire_exits", "result": fire},
            {"item_id": "env.sanitation", "points": sanitation},
            {"item_id": "env.trees_area", "value": trees},
            {"item_id": "note", "text": "ok"}]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def stored(evidence_dir, content: bytes):
    """Where the filesystem store keeps ``content``: <dir>/<sha256[:2]>/<sha256>."""
    digest = hashlib.sha256(content).hexdigest()
    return evidence_dir / digest[:2] / digest


@pytest.fixture
def api(client, auth):
    return Api(client, auth)
