"""Score runs end to end: inputs over HTTP, snapshot, compute, store, re-run, publish."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from services.scoring.assessment import compute_snapshot
from tests.scoring.run_support import start_run
from tests.support import serving


def test_a_stored_run_re_runs_bit_for_bit(runs_client, midyear, auth, scoring_app):
    check = runs_client.post(f"/api/v1/runs/{midyear['id']}/recompute", headers=auth("analyst"))
    assert check.status_code == 200
    assert check.json["reproduced"] is True and check.json["difference_count"] == 0
    assert check.json["results_sha256_recomputed"] == midyear["results_sha256"]
    # Independently: the stored snapshot scored again gives exactly the stored numbers.
    inputs = runs_client.get(f"/api/v1/runs/{midyear['id']}/inputs", headers=auth("analyst")).json
    again = compute_snapshot(inputs, midyear["options"])
    rows = runs_client.get(f"/api/v1/runs/{midyear['id']}/ranking", headers=auth("analyst")).json
    stored = {r["unit"]: r for r in rows}
    for row in again.rows:
        for name in ("composite", "composite_lo", "composite_hi", "p_advanced", "rank"):
            assert row[name] == stored[row["unit"]][name]
    assert again.results_sha256 == midyear["results_sha256"]


def test_same_inputs_and_seed_give_the_same_run_and_another_seed_differs(
        runs_client, midyear, auth, county):
    same = start_run(runs_client, auth, county).json
    assert same["id"] != midyear["id"]
    assert same["inputs_sha256"] == midyear["inputs_sha256"]
    assert same["results_sha256"] == midyear["results_sha256"]
    other = start_run(runs_client, auth, county, seed=12).json
    assert other["results_sha256"] != midyear["results_sha256"]


def test_publish_freezes_the_run_and_its_scheme_version(runs_client, midyear, auth, county):
    planner = auth("planner")
    version_id = county["scheme_version_id"]
    published = runs_client.post(f"/api/v1/runs/{midyear['id']}/publish", headers=planner)
    assert published.status_code == 200 and published.json["state"] == "published"
    version = runs_client.get(f"/api/v1/scheme-versions/{version_id}", headers=planner).json
    assert version["frozen"] is True
    changed = runs_client.put(f"/api/v1/schemes/{version['scheme']}/versions/{version['version']}",
                              json=version["document"], headers=planner)
    assert changed.status_code == 409
    assert runs_client.post(f"/api/v1/runs/{midyear['id']}/publish",
                            headers=planner).status_code == 409
    assert runs_client.delete(f"/api/v1/runs/{midyear['id']}", headers=planner).status_code == 409
    check = runs_client.post(f"/api/v1/runs/{midyear['id']}/recompute", headers=planner).json
    assert check["reproduced"] is True
    draft = start_run(runs_client, auth, county, seed=5).json
    assert runs_client.delete(f"/api/v1/runs/{draft['id']}", headers=planner).status_code == 204


def test_start_is_idempotent_on_a_key(runs_client, auth, county):
    key = {"Idempotency-Key": "0d9c6f3e-1b7a-4c55-9a55-3f0f1c2d4e5f"}
    first = start_run(runs_client, auth, county, headers=key, draws=0)
    again = start_run(runs_client, auth, county, headers=key, draws=0)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert len(runs_client.get("/api/v1/runs", headers=auth("planner")).json) == 1
    changed = start_run(runs_client, auth, county, headers=key, draws=0, seed=99)
    assert changed.status_code == 409


@pytest.mark.commits  # threads on connections of their own
def test_parallel_starts_with_one_key_make_one_run(make_app, sources, auth, county):
    survey_url, inspection_url, _log = sources
    app = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
    body = {"scheme_version_id": county["scheme_version_id"], "period": "2026-H1",
            "kind": "mid-year", "seed": 11, "polls": [1, 2], "draws": 0}
    headers = {**auth("planner"), "Idempotency-Key": "5e0b1d2c-parallel-run"}
    start = threading.Barrier(4)
    with serving(app) as url:
        def post(_):
            start.wait()
            return requests.post(f"{url}/api/v1/runs", json=body, headers=headers, timeout=120)

        with ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(post, range(4)))
        runs = requests.get(f"{url}/api/v1/runs", headers=auth("planner"), timeout=30).json()
    assert [r.status_code for r in responses] == [201] * 4, [r.text[:200] for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(runs) == 1


@pytest.mark.parametrize("kind,period", [("mid-year", "2026-06"), ("monthly", "2026-Q1"),
                                         ("year-end", "2026-H1")])
def test_the_period_must_fit_the_kind(runs_client, auth, county, kind, period):
    response = start_run(runs_client, auth, county, kind=kind, period=period)
    assert response.status_code == 422 and "period" in response.json["errors"]


def test_bad_input_is_a_422_per_field(runs_client, auth):
    response = runs_client.post("/api/v1/runs", headers=auth("planner"),
                                json={"kind": "weekly", "draws": -1})
    assert response.status_code == 422
    assert {"kind", "draws", "scheme_version_id", "period"} <= set(response.json["errors"]["json"])


def test_the_openapi_document_lists_the_run_endpoints(runs_client):
    paths = runs_client.get("/openapi.json").json["paths"]
    assert {"/api/v1/runs", "/api/v1/runs/{run_id}/ranking", "/api/v1/runs/{run_id}/publish",
            "/api/v1/runs/{run_id}/units/{code}"} <= set(paths)


def test_a_computed_run_outlives_a_deleted_draft_version(runs_client, auth, county):
    planner = auth("planner")
    run = start_run(runs_client, auth, county, draws=0).json
    version = runs_client.get(f"/api/v1/scheme-versions/{county['scheme_version_id']}",
                              headers=planner).json
    deleted = runs_client.delete(f"/api/v1/schemes/{version['scheme']}/versions/"
                                 f"{version['version']}", headers=planner)
    assert deleted.status_code == 204
    kept = runs_client.get(f"/api/v1/runs/{run['id']}", headers=planner).json
    assert kept["scheme_version_id"] is None and kept["scheme_version"] == version["version"]
    check = runs_client.post(f"/api/v1/runs/{run['id']}/recompute", headers=planner).json
    assert check["reproduced"] is True
    refused = runs_client.post(f"/api/v1/runs/{run['id']}/publish", headers=planner)
    assert refused.status_code == 409 and "deleted" in refused.json["message"]
