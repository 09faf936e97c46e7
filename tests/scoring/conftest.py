"""Fixtures of the scoring tests that run assessments: a small county loaded through the
scoring API, survey and inspection services speaking the documented contracts
(docs/CONTRACTS.md) over real HTTP (``tests.support.serving``), and a mid-year run of
them."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

import pytest
from flask import Flask, abort, jsonify, request

from services.demo.county import FlaskClientLoader, generate, load_through_api
from shared.auth import decode_token
from tests.scoring.run_support import start_run
from tests.support import serving

KEEP_GROUPS = ("TS", "G01", "G02")


def small_county():
    """The demo county cut down to the townships and two department groups."""
    county = generate(2026)
    units = [u for u in county.units if u["peer_group"] in KEEP_GROUPS]
    codes = {u["code"] for u in units}
    tasks = [t for t in county.tasks if t["unit"] in codes]
    task_codes = {t["code"] for t in tasks}
    scheme = copy.deepcopy(county.scheme)
    for dimension in scheme["root"]["children"]:
        for leaf in dimension["children"]:
            if leaf["id"] == "kt_lag":  # the engine refuses robust z under a geometric mean
                leaf["normalisation"] = {"method": "tscore"}
    return dataclasses.replace(
        county, scheme=scheme, units=units,
        margins=[m for m in county.margins if m["unit"] in codes],
        tasks=tasks, progress=[p for p in county.progress if p["task"] in task_codes],
        self_checks={m: [r for r in rows if r["unit"] in codes]
                     for m, rows in county.self_checks.items()},
        corrections={m: [r for r in rows if r["unit"] in codes]
                     for m, rows in county.corrections.items()},
        direct_values=[v for v in county.direct_values if v["unit"] in codes])


def _load_county(client, headers) -> dict:
    county = small_county()
    loaded = load_through_api(county, FlaskClientLoader(client, headers))
    return {"county": county, "scheme_version_id": loaded["scheme_version_id"],
            "townships": county.townships, "units": [u["code"] for u in county.units]}


@pytest.fixture
def county(module_base, databases, make_app, auth):
    """The small county loaded through the scoring API: once per module for the
    rolled-back tests (``module_base``), per test in commits mode."""
    app = make_app("scoring")
    if databases.base is None:
        return _load_county(app.test_client(), auth("planner"))

    def load(base_sessions):
        state = app.extensions["kaoping"]
        own, state.sessions = state.sessions, base_sessions("scoring")
        try:
            return _load_county(app.test_client(), auth("planner"))
        finally:
            state.sessions = own

    return copy.deepcopy(databases.base.load("scoring-county", load))


@dataclass
class SourceLog:
    """What the stub services were asked, and switches to make them fail."""

    calls: list[str] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    inspection_down: bool = False


def _survey_app(log: SourceLog, townships: list[str]) -> Flask:
    app = Flask("survey-stub")

    @app.get("/api/v1/polls/<int:poll_id>/estimates")
    def estimates(poll_id):
        log.roles.add(decode_token(request.headers["Authorization"][7:], _secret()).role)
        log.calls.append(f"survey {request.full_path}")
        if poll_id not in (1, 2):
            return jsonify({"code": 404, "message": "Poll not found", "errors": {}}), 404
        rows = []
        for i, town in enumerate(townships):
            rate = 0.60 + 0.025 * i + (0.01 if poll_id == 2 else 0.0)
            for question, shift in (("q_other", -0.2), ("q_overall", 0.0)):
                rows.append({"township": town, "question": question,
                             "statistic": "satisfaction_rate", "category": None,
                             "estimate": rate + shift, "se": 0.03 + 0.002 * i + 0.01 * poll_id,
                             "ci_low": None, "ci_high": None, "n": 200, "n_eff": 150.0,
                             "deff": 1.3})
            rows.append({"township": town, "question": "q_overall", "statistic": "proportion",
                         "category": "5", "estimate": 0.3, "se": 0.02, "ci_low": None,
                         "ci_high": None, "n": 200, "n_eff": 150.0, "deff": 1.3})
        return jsonify({"poll_id": poll_id, "method": {"stub": True}, "rows": rows})

    @app.get("/api/v1/polls/<int:poll_id>")
    def poll(poll_id):
        log.calls.append(f"survey {request.full_path}")
        return jsonify({"id": poll_id, "name_zh": f"满意度调查{poll_id}",
                        "name_en": f"Satisfaction poll {poll_id}", "modes": ["web"],
                        "field_start": "2026-05-01", "field_end": "2026-05-31"})

    @app.get("/api/v1/polls/<int:poll_id>/outcome-rates")
    def outcome_rates(poll_id):
        log.calls.append(f"survey {request.full_path}")
        entries = [{"township": town, "counts": {"I": 100 + i}, "rates": {
            "RR1": 0.3 + 0.01 * i, "RR2": 0.32 + 0.01 * i, "RR3": 0.35 + 0.01 * i,
            "COOP1": 0.6, "REF1": 0.1 + 0.005 * i, "CON1": 0.7}}
            for i, town in enumerate(townships)]
        return jsonify({"poll_id": poll_id, "townships": entries, "overall": {
            "township": None, "counts": {"I": 999},
            "rates": {"RR1": 0.345, "RR2": 0.36, "RR3": 0.4, "COOP1": 0.6, "REF1": 0.12,
                      "CON1": 0.7}}})

    return app


def _inspection_app(log: SourceLog, units: list[str]) -> Flask:
    app = Flask("inspection-stub")

    def guard():
        log.roles.add(decode_token(request.headers["Authorization"][7:], _secret()).role)
        log.calls.append(f"inspection {request.full_path}")
        if log.inspection_down:
            abort(503)

    @app.get("/api/v1/unit-scores")
    def unit_scores():
        guard()
        month = int(request.args["from"][5:7])
        return jsonify([{"unit": u, "n": 3, "mean": 70 + (i * 7 + month * 3) % 25,
                         "sd": 4.0 + i % 3, "min": 60, "max": 99}
                        for i, u in enumerate(units) if (i + month) % 5])

    @app.get("/api/v1/discrepancy-rates")
    def discrepancy_rates():
        guard()
        return jsonify([{"unit": u, "checked": 10, "discrepant": i % 4, "rate": (i % 4) / 10}
                        for i, u in enumerate(units) if i % 2 == 0])

    @app.get("/api/v1/finding-counts")
    def finding_counts():
        guard()
        return jsonify([{"unit": u, "visits": 1 + i % 3, "minor": i % 4, "major": i % 2,
                         "critical": int(i % 7 == 0), "findings": i % 4 + i % 2 + int(i % 7 == 0)}
                        for i, u in enumerate(units) if i % 3 == 0])

    @app.get("/api/v1/orders/closure-rates")
    def closure_rates():
        guard()
        return jsonify([{"unit": u, "orders": 3, "due": 2, "closed": 2,
                         "closed_on_time": 1 + i % 2, "rate": (1 + i % 2) / 2}
                        for i, u in enumerate(units) if i % 4 == 0])

    @app.get("/api/v1/orders/overdue")
    def overdue():
        guard()
        return jsonify([{"id": 40 + i, "unit": u, "visit_id": i, "finding_id": i,
                         "deadline": "2026-06-15", "days_overdue": 16 + i, "state": "open",
                         "instructions": "fix"} for i, u in enumerate(units[:3])])

    return app


def _secret() -> str:
    from shared.auth import jwt_secret

    return jwt_secret()


@pytest.fixture
def sources(county):
    """Serve both stubs; yield (survey_url, inspection_url, log)."""
    log = SourceLog()
    with serving(_survey_app(log, county["townships"])) as survey_url, \
            serving(_inspection_app(log, county["units"])) as inspection_url:
        yield survey_url, inspection_url, log


@pytest.fixture
def runs_client(make_app, sources):
    """A scoring client whose app reaches the stub sources over HTTP."""
    survey_url, inspection_url, _log = sources
    return make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url).test_client()


@pytest.fixture
def midyear(runs_client, auth, county):
    """A mid-year 2026-H1 run of the county with both polls (``start_run``)."""
    response = start_run(runs_client, auth, county)
    assert response.status_code == 201, response.json
    return response.json
