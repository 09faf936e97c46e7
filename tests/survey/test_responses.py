"""A poll's responses: the list analysts read and the spreadsheet export."""

import io

from openpyxl import load_workbook


def test_responses_xlsx_holds_a_text_answer_with_a_control_character(client, planner,
                                                                      make_poll, auth):
    poll = make_poll()
    body = ("township,sex,age,sat,problem,solved,detail,years,services\n"
            "T02,1,1,4,1,2,slow\x0breply,5,1\n")
    imported = client.post(f"/api/v1/polls/{poll['id']}/paper-import", headers=planner,
                           data={"file": (io.BytesIO(body.encode()), "f.csv")},
                           content_type="multipart/form-data")
    assert imported.status_code == 201, imported.get_json()
    export = client.get(f"/api/v1/polls/{poll['id']}/responses/export?format=xlsx",
                        headers=auth("analyst"))
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["detail"] == "slowreply"


def test_responses_are_filtered_by_township_and_status(client, planner, make_poll, auth):
    poll = make_poll()
    body = ("township,sex,age,sat,problem,solved,detail,years,services\n"
            "T01,1,1,4,2,,,5,1\n"
            "T02,2,2,3,2,,,7,2\n"
            "T02,1,3\n")
    imported = client.post(f"/api/v1/polls/{poll['id']}/paper-import", headers=planner,
                           data={"file": (io.BytesIO(body.encode()), "f.csv")},
                           content_type="multipart/form-data")
    assert imported.status_code == 201, imported.get_json()
    url = f"/api/v1/polls/{poll['id']}/responses"
    analyst = auth("analyst")
    every = client.get(url, headers=analyst).get_json()
    assert [(r["township"], r["status"]) for r in every] == [
        ("T01", "complete"), ("T02", "complete"), ("T02", "ended")]
    t02 = client.get(url + "?township=T02", headers=analyst).get_json()
    assert [r["id"] for r in t02] == [every[1]["id"], every[2]["id"]]
    ended = client.get(url + "?township=T02&status=ended", headers=analyst).get_json()
    assert [r["id"] for r in ended] == [every[2]["id"]]
    assert client.get("/api/v1/polls/999999/responses", headers=analyst).status_code == 404
