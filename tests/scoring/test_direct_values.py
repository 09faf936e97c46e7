"""Direct indicator values: CSV, XLSX and JSON imports with a source label, all or
nothing; the latest import wins."""

import json

from tests.scoring.scoring_intake_support import csv_bytes, seed, upload, xlsx


def test_direct_values_csv_xlsx_and_json(scoring_client, auth):
    headers = seed(scoring_client, auth)
    lines = ["unit,period,indicator,value", "T01,2026-01,dir_env,81.5", "T02,2026-H1,dir_env,77"]
    response = upload(scoring_client, "/api/v1/direct-values/import?source_label=生态平台",
                      headers, csv_bytes(lines, "gb18030"))
    assert response.status_code == 201 and response.json["created"] == 2
    workbook = xlsx([["unit", "period", "indicator", "value", "source_label"],
                     ["T01", "2026-01", "dir_env", 83, "监测站"]])
    response = upload(scoring_client, "/api/v1/direct-values/import", auth("service"),
                      workbook, "d.xlsx")
    assert response.status_code == 201 and response.json["replaced"] == 1
    response = scoring_client.post("/api/v1/direct-values", headers=headers, json={
        "source_label": "统计局", "values": [
            {"unit": "D001", "period": "2026", "indicator": "dir_env", "value": 60}]})
    assert response.status_code == 201
    rows = scoring_client.get("/api/v1/direct-values?indicator=dir_env",
                              headers=auth("analyst")).json
    assert [(r["unit"], r["period"], r["value"], r["source_label"]) for r in rows] == [
        ("T01", "2026-01", 83.0, "监测站"), ("T02", "2026-H1", 77.0, "生态平台"),
        ("D001", "2026", 60.0, "统计局")]  # by start, then end of the period
    bad = scoring_client.post("/api/v1/direct-values", headers=headers, json={
        "source_label": "x", "values": [
            {"unit": "T01", "period": "2026-01", "indicator": "sc_rate", "value": 1},
            {"unit": "T01", "period": "2031-01", "indicator": "dir_env", "value": -1},
            {"unit": "T09", "period": "2026-01", "indicator": "dir_env", "value": 1}]})
    assert bad.status_code == 422
    assert "not a direct indicator" in bad.json["errors"]["items[0]"]["indicator"][0]
    assert set(bad.json["errors"]["items[1]"]) == {"period", "value"}
    assert "unit" in bad.json["errors"]["items[2]"]
    unlabelled = upload(scoring_client, "/api/v1/direct-values/import", headers,
                        csv_bytes(lines))
    assert unlabelled.status_code == 422 and "source_label" in unlabelled.json["errors"]["row 2"]
    export = scoring_client.get("/api/v1/direct-values?format=csv", headers=headers)
    assert export.mimetype == "text/csv" and "监测站" in export.data.decode("utf-8-sig")
    assert scoring_client.get("/api/v1/direct-values", headers=auth("unit", "T01")).status_code \
        == 403
    assert json.loads(export.data.decode("utf-8-sig").splitlines()[1].split(",")[3]) == 83.0
