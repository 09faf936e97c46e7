"""The scoring service's spreadsheet reader and export cells, through the unit import and
every other import path: encodings, XLSX and raw bodies, unreadable files, header
checks, all or nothing with the row/column error listing, formulas refused, the one
number rule; guarded exports. (Each import's own rules are tested beside its module.)"""

import csv
import io

import openpyxl
import pytest

from tests.scoring.scoring_intake_support import SC_HEADER, csv_bytes, seed, upload, xlsx

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
