"""Registry: units (CONTRACTS.md), peer groups, margins, versioned changes, roles."""


import pytest

from tests.scoring.scoring_intake_support import csv_bytes, seed, upload

CONTRACT_UNIT_KEYS = {"code", "name_zh", "name_en", "kind", "peer_group", "active_from",
                      "active_to", "lat", "lon"}


def test_units_list_matches_the_contract_and_filters(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    scoring_client.post("/api/v1/units", headers=headers, json={
        "code": "T09", "name_zh": "旧镇", "name_en": "Old Town", "kind": "township",
        "peer_group": "TS", "active_from": "2010-01-01", "active_to": "2015-12-31",
        "lat": 30.5, "lon": 111.0})
    for role in ("inspector", "analyst", "service"):
        rows = scoring_client.get("/api/v1/units?kind=township&active=true",
                                  headers=auth(role)).json
        assert [r["code"] for r in rows] == ["T01", "T02"]
        assert set(rows[0]) == CONTRACT_UNIT_KEYS
        assert rows[0]["lat"] is None and rows[0]["peer_group"] == "TS"
    unit_view = scoring_client.get("/api/v1/units/T09", headers=auth("unit", "T01")).json
    assert unit_view == {"code": "T09", "name_zh": "旧镇", "name_en": "Old Town",
                         "kind": "township", "peer_group": "TS", "active_from": "2010-01-01",
                         "active_to": "2015-12-31", "lat": 30.5, "lon": 111.0}
    inactive = scoring_client.get("/api/v1/units?active=false", headers=headers).json
    assert [r["code"] for r in inactive] == ["T09"]
    past = scoring_client.get("/api/v1/units?active=true&on=2012-06-01&kind=township",
                              headers=headers).json
    assert [r["code"] for r in past] == ["T09"]  # T01/T02 start in 2020
    departments = scoring_client.get("/api/v1/units?kind=department", headers=headers).json
    assert [r["code"] for r in departments] == ["D001"]


def test_unknown_unit_is_a_404_envelope(scoring_client, auth):
    response = scoring_client.get("/api/v1/units/NOPE", headers=auth("service"))
    assert response.status_code == 404
    assert response.json["code"] == 404 and "NOPE" in response.json["message"]


def test_writes_need_a_planner_and_are_validated(scoring_client, auth):
    seed(scoring_client, auth, scheme=False, year=False)
    body = {"code": "T05", "name_zh": "五镇", "name_en": "Five", "kind": "township"}
    for role in ("analyst", "unit", "service"):
        unit = "T01" if role == "unit" else None
        assert scoring_client.post("/api/v1/units", json=body,
                                   headers=auth(role, unit)).status_code == 403
    planner = auth("planner")
    assert scoring_client.post("/api/v1/units", json=body, headers=planner).status_code == 201
    assert scoring_client.post("/api/v1/units", json=body, headers=planner).status_code == 409
    bad = scoring_client.post("/api/v1/units", headers=planner, json={
        **body, "code": "T06", "kind": "village", "lat": 95, "lon": 1})
    assert bad.status_code == 422 and "kind" in bad.json["errors"]["json"]
    bad = scoring_client.post("/api/v1/units", headers=planner, json={
        **body, "code": "T06", "peer_group": "ZZ", "lat": 95, "lon": 1,
        "active_from": "2026-02-01", "active_to": "2026-01-01"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"peer_group", "lat", "active_to"}
    half = scoring_client.post("/api/v1/units", headers=planner, json={
        **body, "code": "T07", "lat": 30.0})
    assert half.status_code == 422 and "lat" in half.json["errors"]


def test_every_change_is_a_registry_version_with_who_and_when(scoring_client, auth):
    seed(scoring_client, auth, scheme=False, year=False)
    planner = auth("planner", sub="alice")
    before = scoring_client.get("/api/v1/registry/version", headers=auth("service")).json
    response = scoring_client.patch("/api/v1/units/T01", headers=planner,
                                    json={"name_en": "Chengguan", "lat": 30.1, "lon": 111.2})
    assert response.status_code == 200 and response.json["name_zh"] == "单位T01"
    after = scoring_client.get("/api/v1/registry/version", headers=auth("analyst")).json
    assert after["version"] == before["version"] + 1 and after["sha256"] != before["sha256"]
    changes = scoring_client.get(f"/api/v1/registry/changes?since={before['version']}",
                                 headers=planner).json
    assert len(changes) == 1
    assert changes[0]["actor"] == "alice" and changes[0]["action"] == "update"
    assert changes[0]["key"] == "T01" and changes[0]["after"]["name_en"] == "Chengguan"
    then = scoring_client.get(f"/api/v1/registry/snapshot?version={before['version']}",
                              headers=planner).json
    now = scoring_client.get("/api/v1/registry/snapshot", headers=planner).json
    name = {u["code"]: u["name_en"] for u in then["units"]}
    assert name["T01"] == "Unit T01"
    assert {u["code"]: u["name_en"] for u in now["units"]}["T01"] == "Chengguan"
    assert scoring_client.delete("/api/v1/units/T02", headers=planner).status_code == 204
    gone = scoring_client.get("/api/v1/registry/snapshot", headers=planner).json
    assert "T02" not in {u["code"] for u in gone["units"]}
    assert scoring_client.get("/api/v1/registry/version",
                              headers=auth("unit", "T01")).status_code == 403


def test_peer_group_in_use_cannot_be_deleted(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    assert scoring_client.delete("/api/v1/peer-groups/TS", headers=headers).status_code == 409
    scoring_client.post("/api/v1/peer-groups", headers=headers,
                        json={"code": "EMPTY", "name_zh": "空", "name_en": "Empty"})
    assert scoring_client.delete("/api/v1/peer-groups/EMPTY", headers=headers).status_code == 204
    codes = [g["code"] for g in scoring_client.get("/api/v1/peer-groups", headers=headers).json]
    assert codes == ["G1", "TS"]


MARGINS = [{"variable": "age_band*sex", "category": f"{band}*{sex}", "count": count}
           for (band, sex), count in zip(
               [(b, s) for b in ("18-34", "35-49", "50-64", "65+") for s in ("F", "M")],
               [4100, 4000, 3900, 3950, 3500, 3400, 2600, 2100], strict=True)]


def test_margins_follow_the_contract_and_roles(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    stored = scoring_client.put("/api/v1/units/T01/margins", headers=headers, json=MARGINS)
    assert stored.status_code == 200
    for role in ("service", "analyst", "planner"):
        rows = scoring_client.get("/api/v1/margins?unit=T01", headers=auth(role)).json
        assert len(rows) == 8
        assert rows[0] == {"unit": "T01", "variable": "age_band*sex", "category": "18-34*F",
                           "count": 4100.0}
    for role, unit in (("unit", "T01"), ("inspector", None)):
        assert scoring_client.get("/api/v1/margins?unit=T01",
                                  headers=auth(role, unit)).status_code == 403
    assert scoring_client.get("/api/v1/margins?unit=ZZ", headers=headers).status_code == 404
    department = scoring_client.put("/api/v1/units/D001/margins", headers=headers, json=MARGINS)
    assert department.status_code == 422 and "unit" in department.json["errors"]
    mismatch = scoring_client.put("/api/v1/units/T02/margins", headers=headers, json=[
        {"variable": "age_band*sex", "category": "18-34", "count": 5},
        {"variable": "sex", "category": "F", "count": 1},
        {"variable": "sex", "category": "F", "count": 2}])
    assert mismatch.status_code == 422
    assert set(mismatch.json["errors"]) == {"margins[0]", "margins[2]"}
    assert scoring_client.get("/api/v1/margins?unit=T02", headers=headers).json == []


@pytest.mark.parametrize("role", ["planner", "analyst", "service"])
def test_margins_without_unit_list_every_township(scoring_client, auth, role):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    scoring_client.put("/api/v1/units/T01/margins", headers=headers, json=MARGINS[:2])
    scoring_client.put("/api/v1/units/T02/margins", headers=headers, json=MARGINS[2:3])
    rows = scoring_client.get("/api/v1/margins", headers=auth(role)).json
    assert [(r["unit"], r["category"]) for r in rows] == [
        ("T01", "18-34*F"), ("T01", "18-34*M"), ("T02", "35-49*F")]


def test_peer_group_and_margin_imports(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    groups = upload(scoring_client, "/api/v1/peer-groups/import", headers, csv_bytes(
        ["code,name_zh,name_en,description", "G2,政法部门,Political-legal,", "G1,党群,Party,x"],
        "gbk"))
    assert groups.json == {"rows": 2, "created": 1, "updated": 1}
    duplicate = upload(scoring_client, "/api/v1/peer-groups/import", headers, csv_bytes(
        ["code,name_zh,name_en", "G3,甲,A", "G3,乙,B", "G4,,C"]))
    assert duplicate.status_code == 422
    assert duplicate.json["errors"] == {"row 3": {"code": ["duplicate of row 2"]},
                                        "row 4": {"name_zh": ["is required"]}}
    codes = [g["code"] for g in scoring_client.get("/api/v1/peer-groups", headers=headers).json]
    assert codes == ["G1", "G2", "TS"]
    lines = ["unit,variable,category,count", "T01,sex,F,5100", "T01,sex,M,4900",
             "T02,sex,F,3000"]
    assert upload(scoring_client, "/api/v1/margins/import", headers,
                  csv_bytes(lines)).json == {"rows": 3, "units": 2}
    bad = upload(scoring_client, "/api/v1/margins/import", headers, csv_bytes(
        ["unit,variable,category,count", "T01,sex,F,1", "T99,sex,F,1", "D001,sex,F,1",
         "T01,sex,F,2", "T02,age_band*sex,18-34,x"]))
    assert bad.status_code == 422
    errors = bad.json["errors"]
    assert "unknown unit" in errors["row 3"]["unit"][0]
    assert "townships only" in errors["row 4"]["unit"][0]
    assert errors["row 5"]["category"] == ["duplicate of row 2"]
    assert set(errors["row 6"]) == {"category", "count"}
    kept = scoring_client.get("/api/v1/margins?unit=T01", headers=headers).json
    assert [m["count"] for m in kept] == [5100.0, 4900.0]
    exported = scoring_client.get("/api/v1/margins/export", headers=headers).data
    assert b"T02,sex,F,3000.0" in exported
