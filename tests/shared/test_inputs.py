"""shared.inputs: 64-bit integers, JSON depth and finite numbers, streamed body size —
the same answers on every service and database."""

from __future__ import annotations

import pytest
import requests

from tests.support import serving

BIG = 2**63  # one past the largest BIGINT / SQLite INTEGER
ID_LIMIT = 2**31  # one past the largest PostgreSQL INTEGER, the type of every id


@pytest.mark.parametrize("service, path", [
    ("survey", f"/api/v1/polls/{BIG}"),
    ("survey", f"/api/v1/questionnaires/{BIG}"),
    ("scoring", f"/api/v1/runs/{BIG}"),
    ("scoring", f"/api/v1/scheme-versions/{BIG}"),
    ("inspection", f"/api/v1/visits/{BIG}"),
    ("inspection", f"/api/v1/plans/{BIG * 1000}"),
    ("inspection", f"/api/v1/plans/{ID_LIMIT}"),
    ("scoring", f"/api/v1/runs/{ID_LIMIT}"),
])
def test_a_path_id_beyond_an_integer_column_is_404(make_app, auth, service, path):
    response = make_app(service).test_client().get(path, headers=auth("admin"))
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_the_largest_id_is_an_ordinary_404(make_app, auth):
    client = make_app("scoring").test_client()
    response = client.get(f"/api/v1/runs/{ID_LIMIT - 1}", headers=auth("admin"))
    assert response.status_code == 404
    assert response.get_json()["message"] != "Not Found"  # the run's own 404, not routing


@pytest.mark.parametrize("service", ["survey", "scoring", "inspection"])
def test_path_ids_are_documented_with_their_range(make_app, service):
    spec = make_app(service).test_client().get("/openapi.json").get_json()
    ids = [p["schema"] for item in spec["paths"].values() for op in item.values()
           if isinstance(op, dict) for p in op.get("parameters", [])
           if p.get("in") == "path" and p["schema"].get("type") == "integer"]
    ids += [p["schema"] for item in spec["paths"].values()
            for p in item.get("parameters", []) if p["schema"].get("type") == "integer"]
    assert ids
    assert all(s == {"type": "integer", "minimum": 0, "maximum": ID_LIMIT - 1} for s in ids)


def test_a_query_integer_beyond_64_bits_is_422_naming_it(make_app, auth):
    client = make_app("inspection").test_client()
    response = client.get(f"/api/v1/audit?after_seq={BIG}", headers=auth("admin"))
    assert response.status_code == 422
    assert "after_seq" in response.get_json()["errors"]["query"]


@pytest.mark.parametrize("value, field", [
    ({"scheme_version_id": BIG}, "scheme_version_id"),
    ({"scheme_version_id": 1, "polls": [1, -BIG - 1]}, "polls.1"),
])
def test_a_body_integer_beyond_64_bits_is_422_naming_it(make_app, auth, value, field):
    client = make_app("scoring").test_client()
    body = {"period": "2026-H1", "kind": "mid-year", **value}
    response = client.post("/api/v1/runs", json=body, headers=auth("planner"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_a_poll_for_a_questionnaire_beyond_64_bits_is_422(make_app, auth):
    client = make_app("survey").test_client()
    body = {"name_zh": "民调", "name_en": "Poll", "questionnaire_id": BIG, "modes": ["web"],
            "field_start": "2026-03-01", "field_end": "2026-03-31",
            "townships": [{"code": "T01", "target_completes": 10}]}
    response = client.post("/api/v1/polls", json=body, headers=auth("planner"))
    assert response.status_code == 422
    assert "questionnaire_id" in response.get_json()["errors"]["json"]


def test_a_body_integer_the_database_cannot_hold_is_422(make_app, auth, engines):
    """Within 64 bits but beyond PostgreSQL's INTEGER: the database's refusal is a 422
    (SQLite's INTEGER holds it: there the scheme version is simply not found)."""
    client = make_app("scoring").test_client()
    body = {"period": "2026-H1", "kind": "mid-year", "scheme_version_id": ID_LIMIT}
    response = client.post("/api/v1/runs", json=body, headers=auth("planner"))
    if engines["scoring"].dialect.name == "postgresql":
        assert response.status_code == 422
        assert response.get_json()["errors"] == {"_database": ["integer out of range"]}
    else:
        assert response.status_code == 404


def test_deeply_nested_json_is_400_wherever_it_is_read(make_app, auth):
    deep = "[" * 100_000 + "]" * 100_000
    scoring = make_app("scoring").test_client()
    headers = {**auth("planner"), "Content-Type": "application/json"}
    for path in ("/api/v1/schemes/validate", "/api/v1/runs"):  # own parser, webargs
        response = scoring.post(path, data=deep, headers=headers)
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json()["message"] == "JSON body nested too deeply"
    moderate = "[" * 65 + "]" * 65  # parses, but deeper than the limit
    response = scoring.post("/api/v1/schemes/validate", data=moderate, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"json": ["nested deeper than 64 levels"]}


def test_deeply_nested_yaml_is_400(make_app, auth):
    scoring = make_app("scoring").test_client()
    response = scoring.post("/api/v1/schemes/validate", data="[" * 100_000,
                            headers={**auth("planner"), "Content-Type": "application/yaml"})
    assert response.status_code == 400


def test_nan_and_infinity_are_not_json(make_app, auth):
    client = make_app("scoring").test_client()
    response = client.post("/api/v1/runs", data='{"scheme_version_id": 1, "level": NaN}',
                           headers={**auth("planner"), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"json": ["NaN is not a JSON number"]}


def test_a_streamed_body_over_the_limit_is_413(make_app, auth):
    app = make_app("scoring", MAX_CONTENT_LENGTH=1024 * 1024)

    def chunks(size: int):
        yield b'{"document": "'
        for _ in range(size // 65536):
            yield b"x" * 65536
        yield b'"}'

    headers = {**auth("planner"), "Content-Type": "application/json"}
    with serving(app) as url:
        too_big = requests.post(f"{url}/api/v1/schemes/validate", data=chunks(1_100_000),
                                headers=headers, timeout=60)
        small = requests.post(f"{url}/api/v1/schemes/validate", data=chunks(65536 * 4),
                              headers=headers, timeout=60)
    assert too_big.status_code == 413
    assert too_big.json()["message"] == "Request body too large"
    assert small.status_code == 422  # read whole, parsed: not a scheme document
