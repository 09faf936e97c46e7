"""Every import path with good and bad files: encodings, columns, duplicates, unknown
units, formulas; all or nothing with the row/column error listing; guarded exports."""

import csv
import io
import json

import openpyxl
import pytest

from tests.scoring.scoring_intake_support import csv_bytes, seed, upload, xlsx

UNIT_HEADER = "code,name_zh,name_en,kind,peer_group,lat,lon"
UNIT_LINES = [UNIT_HEADER, "T10,城关镇,Chengguan Town,township,TS,30.52,111.05",
              "D010,县财政局,Finance Bureau,department,G1,,"]


def _codes(client, auth):
    return [u["code"] for u in client.get("/api/v1/units", headers=auth("analyst")).json]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_unit_csv_in_every_accepted_encoding(scoring_client, auth, encoding):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    response = upload(scoring_client, "/api/v1/units/import", headers,
                      csv_bytes(UNIT_LINES, encoding))
    assert response.status_code == 200, response.json
    assert response.json == {"rows": 2, "created": 2, "updated": 0}
    unit = scoring_client.get("/api/v1/units/T10", headers=headers).json
    assert unit["name_zh"] == "城关镇" and unit["lat"] == 30.52
    assert scoring_client.get("/api/v1/units/D010", headers=headers).json["name_zh"] == "县财政局"


def test_unit_xlsx_and_raw_body_and_update(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    rows = [line.split(",") for line in UNIT_LINES]
    rows[1][5], rows[1][6] = 30.52, 111.05  # numbers as numbers in the workbook
    response = upload(scoring_client, "/api/v1/units/import", headers, xlsx(rows), "u.xlsx")
    assert response.status_code == 200 and response.json["created"] == 2
    again = scoring_client.post("/api/v1/units/import", headers={
        **headers, "Content-Type": "text/csv"},
        data=csv_bytes([UNIT_HEADER, "T10,城关镇,Chengguan,township,TS,30.5,111"]))
    assert again.json == {"rows": 1, "created": 0, "updated": 1}
    assert scoring_client.get("/api/v1/units/T10", headers=headers).json["lon"] == 111.0


@pytest.mark.parametrize("content, filename, expected", [
    (b"\xff\xfe" + "code,name\n".encode("utf-16-le"), "u.csv", "file"),
    (bytes([0x81, 0x30, 0x81]) + b",x\n", "u.csv", "file"),
    (b"", "u.csv", "file"),
    (b"PK\x03\x04 not really a workbook", "u.xlsx", "file"),
])
def test_unreadable_files_are_422_naming_the_file(scoring_client, auth, content, filename,
                                                  expected):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    response = upload(scoring_client, "/api/v1/units/import", headers, content, filename)
    assert response.status_code == 422 and expected in response.json["errors"]


def test_wrong_columns_are_listed(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    response = upload(scoring_client, "/api/v1/units/import", headers,
                      csv_bytes(["code,name_zh,kind,colour,colour", "T10,镇,township,red,red"]))
    assert response.status_code == 422
    problems = " ".join(response.json["errors"]["columns"])
    assert "missing column(s): name_en" in problems
    assert "unknown column(s): colour" in problems and "duplicate column(s): colour" in problems
    assert _codes(scoring_client, auth) == ["D001", "T01", "T02"]


def test_row_errors_are_listed_and_nothing_is_imported(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    lines = [UNIT_HEADER,
             "T10,十镇,Ten,township,TS,30.1,111.1",
             "T11,十一镇,Eleven,village,TS,,",
             "T10,十镇,Ten again,township,TS,,",
             "T12,十二镇,Twelve,township,NOPE,abc,111",
             ",,,township,,,"]
    response = upload(scoring_client, "/api/v1/units/import", headers, csv_bytes(lines))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"row 3", "row 4", "row 5", "row 6"}
    assert "kind" in errors["row 3"]
    assert errors["row 4"]["code"] == ["duplicate of row 2"]
    assert set(errors["row 5"]) == {"peer_group", "lat"}
    assert {"code", "name_zh", "name_en"} <= set(errors["row 6"])
    assert "nothing was imported" in response.json["message"]
    assert _codes(scoring_client, auth) == ["D001", "T01", "T02"]


def test_formulas_are_refused_in_xlsx_and_csv(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    rows = [UNIT_HEADER.split(","), ["T10", "十镇", "=HYPERLINK(\"http://x\")", "township",
                                     "TS", None, None],
            ["T11", "十一镇", "Eleven", "township", "TS", "=1+1", 111]]
    response = upload(scoring_client, "/api/v1/units/import", headers, xlsx(rows), "u.xlsx")
    assert response.status_code == 422
    assert "formulas" in response.json["errors"]["row 2"]["name_en"][0]
    assert "formulas" in response.json["errors"]["row 3"]["lat"][0]
    response = upload(scoring_client, "/api/v1/units/import", headers,
                      csv_bytes([UNIT_HEADER, "T10,十镇,=cmd|' /C calc'!A0,township,TS,,"]))
    assert response.status_code == 422 and "name_en" in response.json["errors"]["row 2"]
    assert _codes(scoring_client, auth) == ["D001", "T01", "T02"]


def test_export_guards_formula_like_text_and_round_trips(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    scoring_client.patch("/api/v1/units/T01", headers=headers,
                         json={"name_en": "=HYPERLINK(\"http://evil\")", "lat": -30.5, "lon": 1})
    body = scoring_client.get("/api/v1/units/export?format=csv", headers=headers)
    assert body.mimetype == "text/csv" and body.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.data.decode("utf-8-sig"))))
    t01 = next(r for r in rows if r["code"] == "T01")
    assert t01["name_en"] == "'=HYPERLINK(\"http://evil\")" and t01["lat"] == "-30.5"
    workbook = openpyxl.load_workbook(io.BytesIO(scoring_client.get(
        "/api/v1/units/export?format=xlsx", headers=headers).data))
    cells = {row[0].value: row for row in workbook.active.iter_rows(min_row=2)}
    assert cells["T01"][2].value.startswith("'=") and cells["T01"][2].data_type == "s"
    assert cells["T01"][7].value == -30.5
    again = upload(scoring_client, "/api/v1/units/import", headers, body.data)
    assert again.status_code == 200 and again.json["updated"] == 3


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


SC_HEADER = "unit,indicator,target,actual,unit_of_measure,narrative,evidence"


def test_self_check_month_upload_good_and_bad(scoring_client, auth):
    headers = seed(scoring_client, auth)
    good = [SC_HEADER, "T01,sc_rate,90,92.5,%,按计划,https://oa.example/1 https://oa.example/2",
            "T01,sc_count,0,1,,,", "T02,sc_delta,1,-0.5,pp,,", "D001,sc_rate,80,\"1,234\",%,,"]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-03", headers,
                      csv_bytes(good, "gbk"))
    assert response.status_code == 201, response.json
    assert response.json["values"] == 4 and response.json["units"] == 3
    history = scoring_client.get("/api/v1/self-checks/history?unit=T01&period=2026-03",
                                 headers=headers).json
    rate = next(r for r in history if r["indicator"] == "sc_rate")
    assert rate["evidence"] == ["https://oa.example/1", "https://oa.example/2"]
    assert rate["narrative"] == "按计划"
    count = next(r for r in history if r["indicator"] == "sc_count")
    assert count["unit_of_measure"] == "count"
    bad = [SC_HEADER,
           "T01,sc_rate,90,91,%,,",
           "T99,sc_rate,90,91,%,,",
           "T02,sc_unknown,1,1,,,",
           "T02,sc_rate,90,91,kg,,",
           "T02,sc_count,0,-1,,,",
           "D001,sc_rate,abc,,%,,",
           "T01,sc_rate,90,93,%,,",
           "T02,sc_delta,1,2,pp,,ftp://x",
           "T02,dir_env,1,2,,,"]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-04", headers,
                      csv_bytes(bad))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "row 2" not in errors
    assert "unknown unit" in errors["row 3"]["unit"][0]
    assert "unknown self-check indicator" in errors["row 4"]["indicator"][0]
    assert "measured in '%'" in errors["row 5"]["unit_of_measure"][0]
    assert "cannot be negative" in errors["row 6"]["actual"][0]
    assert set(errors["row 7"]) == {"target", "actual"}
    assert errors["row 8"]["indicator"] == ["duplicate of row 2"]
    assert "web link" in errors["row 9"]["evidence"][0]
    assert "indicator" in errors["row 10"]
    assert scoring_client.get("/api/v1/self-checks?period=2026-04", headers=headers).json == []


def test_self_check_xlsx_upload_and_formula_cells(scoring_client, auth):
    headers = seed(scoring_client, auth)
    rows = [SC_HEADER.split(","), ["T01", "sc_rate", 90, 95.5, "%", "好", None],
            ["T02", "sc_rate", 90, "=B2*2", "%", None, None]]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-05", headers,
                      xlsx(rows), "month.xlsx")
    assert response.status_code == 422
    assert any("formulas" in r for r in response.json["errors"]["row 3"]["actual"])
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-05", headers,
                      xlsx(rows[:2]), "month.xlsx")
    assert response.status_code == 201
    current = scoring_client.get("/api/v1/self-checks?period=2026-05", headers=headers).json
    assert current == [{"unit": "T01", "period": "2026-05", "indicator": "sc_rate",
                        "target": 90.0, "actual": 95.5, "unit_of_measure": "%", "version": 1}]


def test_self_check_upload_needs_a_defined_month(scoring_client, auth):
    headers = seed(scoring_client, auth)
    line = csv_bytes([SC_HEADER, "T01,sc_rate,90,91,%,,"])
    assert upload(scoring_client, "/api/v1/self-checks/import?period=2027-01", headers,
                  line).status_code == 404
    assert upload(scoring_client, "/api/v1/self-checks/import?period=2026-13", headers,
                  line).status_code == 422
    quarter = upload(scoring_client, "/api/v1/self-checks/import?period=2026-Q1", headers, line)
    assert quarter.status_code == 422 and "period" in quarter.json["errors"]["row 1"]


def test_self_check_export_is_guarded_and_scoped(scoring_client, auth):
    headers = seed(scoring_client, auth)
    upload(scoring_client, "/api/v1/self-checks/import?period=2026-01", headers, csv_bytes(
        [SC_HEADER, "T01,sc_rate,90,91,%,@SUM(1),", "T02,sc_rate,90,80,%,,"]))
    mine = scoring_client.get("/api/v1/self-checks/export?period=2026-01",
                              headers=auth("unit", "T01"))
    rows = list(csv.DictReader(io.StringIO(mine.data.decode("utf-8-sig"))))
    assert [r["unit"] for r in rows] == ["T01"] and rows[0]["narrative"] == "'@SUM(1)"
    assert scoring_client.get("/api/v1/self-checks/export?unit=T02",
                              headers=auth("unit", "T01")).status_code == 403


def test_key_task_import_good_and_bad(scoring_client, auth):
    headers = seed(scoring_client, auth)
    header = "task,title_zh,title_en,category,unit,leader,milestone,due_on,planned_percent"
    good = [header, "KT01,招商,Investment,key_task,T01,张县长,1,2026-01-28,10",
            "KT01,招商,Investment,key_task,T01,张县长,2,2026-02-25,30",
            "CP01,污水厂,Sewage plant,city_project,D001,李副县长,1,2026-03-28,"]
    response = upload(scoring_client, "/api/v1/key-tasks/import", headers, csv_bytes(good))
    assert response.status_code == 200 and response.json == {"tasks": 2, "milestones": 3}
    task = scoring_client.get("/api/v1/key-tasks/CP01", headers=headers).json
    assert task["milestones"][0]["planned_percent"] == 100.0
    bad = [header, "KT02,甲,A,key_task,T01,,1,2026-01-28,10",
           "KT02,甲,A,major_matter,T01,,2,2026-02-28,20",
           "KT02,甲,A,key_task,T01,,2,2026-03-28,30",
           "KT03,乙,B,key_task,T99,,1,2026-13-01,x",
           "KT04,丙,C,key_task,T01,,1,2026-03-01,50",
           "KT04,丙,C,key_task,T01,,2,2026-02-01,40"]
    response = upload(scoring_client, "/api/v1/key-tasks/import", headers, csv_bytes(bad))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert "differs from row 2" in errors["row 3"]["category"][0]
    assert "duplicate milestone 2" in errors["row 4"]["milestone"][0]
    assert set(errors["row 5"]) >= {"due_on", "planned_percent", "unit"}
    assert any("before" in r for r in errors["row 6"]["milestones"])
    codes = [t["code"] for t in scoring_client.get("/api/v1/key-tasks", headers=headers).json]
    assert codes == ["CP01", "KT01"]


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


@pytest.mark.parametrize("path, missing", [
    ("/api/v1/units/import", "code"),
    ("/api/v1/peer-groups/import", "code"),
    ("/api/v1/margins/import", "unit"),
    ("/api/v1/self-checks/import?period=2026-01", "unit"),
    ("/api/v1/key-tasks/import", "task"),
    ("/api/v1/key-tasks/progress/import", "task"),
    ("/api/v1/direct-values/import?source_label=x", "unit"),
])
def test_every_import_checks_its_header(scoring_client, auth, path, missing):
    headers = seed(scoring_client, auth)
    response = upload(scoring_client, path, headers,
                      csv_bytes(["名称,colour", "城关镇,red"], "gbk"))
    assert response.status_code == 422
    problems = " ".join(response.json["errors"]["columns"])
    assert missing in problems.split("missing column(s): ")[1]
    assert "unknown column(s): 名称, colour" in problems


def test_imports_read_numbers_and_missing_values_by_the_one_rule(scoring_client, auth):
    """shared.numbers: separators, %, NA/nan as missing — the rule `kaoping score
    compute` reads values by too; a required number left missing is refused."""
    headers = seed(scoring_client, auth)
    lines = [SC_HEADER, "T01,sc_rate,NA,12%,%,,", "T02,sc_rate,n/a,\"1,234.5\",%,,",
             "D001,sc_rate,#N/A,１２.５％,%,,"]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-05", headers,
                      csv_bytes(lines))
    assert response.status_code == 201, response.json
    stored = scoring_client.get("/api/v1/self-checks?period=2026-05", headers=headers).json
    assert sorted((r["unit"], r["target"], r["actual"]) for r in stored) == [
        ("D001", None, 12.5), ("T01", None, 12.0), ("T02", None, 1234.5)]
    bad = [SC_HEADER, "T01,sc_count,0,nan,,,", "T02,sc_count,\"1,5\",1,,,"]
    response = upload(scoring_client, "/api/v1/self-checks/import?period=2026-06", headers,
                      csv_bytes(bad))
    assert response.status_code == 422
    assert response.json["errors"] == {"row 2": {"actual": ["is required"]},
                                       "row 3": {"target": ["not a number: '1,5'"]}}
    response = upload(scoring_client, "/api/v1/direct-values/import?source_label=x", headers,
                      csv_bytes(["unit,period,indicator,value", "T01,2026-01,dir_env,NA",
                                 "T02,2026-01,dir_env,\"2,500\""]))
    assert response.status_code == 422
    assert response.json["errors"] == {"row 2": {"value": ["is required"]}}
    response = upload(scoring_client, "/api/v1/direct-values/import?source_label=x", headers,
                      csv_bytes(["unit,period,indicator,value", "T02,2026-01,dir_env,\"2,500\""]))
    assert response.status_code == 201
    assert scoring_client.get("/api/v1/direct-values?unit=T02", headers=headers).json[0][
        "value"] == 2500.0


def test_exports_hold_a_name_with_a_control_character(scoring_client, auth):
    headers = seed(scoring_client, auth, scheme=False, year=False)
    scoring_client.patch("/api/v1/units/T01", headers=headers, json={"name_en": "Town\x0bOne"})
    for path, column in (("units", "name_en"), ("peer-groups", None)):
        response = scoring_client.get(f"/api/v1/{path}/export?format=xlsx", headers=headers)
        assert response.status_code == 200, response.json
        rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active
                    .iter_rows(values_only=True))
        if column:
            names = [dict(zip(rows[0], row, strict=True))[column] for row in rows[1:]]
            assert "TownOne" in names
