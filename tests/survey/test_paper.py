"""Paper mode: CSV/XLSX imports are checked per row and column and stored all or nothing."""

import io

from openpyxl import Workbook

HEADER = "form_id,township,sex,age,sat,problem,solved,detail,years,services\n"


def upload(client, planner, poll_id, content: bytes, name="forms.csv"):
    return client.post(f"/api/v1/polls/{poll_id}/paper-import", headers=planner,
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_valid_csv_is_imported_with_outcomes(client, planner, make_poll):
    poll = make_poll()
    body = (HEADER
            + "P001,T01,1,2,4,2,,,30,1;3\n"
            + "P002,T02,2,1,5,1,2,路灯不亮,98,2\n".replace(",98,", ",998,")
            + "P003,T01,1,3,2,,,,,\n")
    response = upload(client, planner, poll["id"], body.encode("utf-8"))
    assert response.status_code == 201, response.get_json()
    forms = {f["external_ref"]: f for f in response.get_json()}
    assert forms["P001"]["status"] == "complete" and forms["P001"]["disposition"] == "1.1"
    assert forms["P002"]["status"] == "complete"
    assert forms["P003"]["status"] == "ended" and forms["P003"]["disposition"] == "2.12"
    answers = {a["question_id"]: a["value"] for a in forms["P001"]["answers"]}
    assert answers == {"sex": 1, "age": 2, "sat": 4, "problem": 2, "years": 30,
                       "services": [1, 3]}
    assert all(f["mode"] == "paper" for f in forms.values())
    again = upload(client, planner, poll["id"], body.encode("utf-8"))
    assert again.status_code == 422 and "form_id" in again.get_json()["errors"]["row 2"]


def test_errors_name_row_and_column_and_nothing_is_imported(client, planner, make_poll):
    poll = make_poll()
    body = (HEADER
            + "P001,T01,1,2,4,2,,,30,1\n"          # fine
            + "P002,T09,3,2,6,2,,,30,1\n"          # township, sex code, rating range
            + "P003,T01,1,2,4,2,1,,30,1\n"         # solved answered though skipped
            + "P004,T01,1,2,4,1,1,,abc,1;7\n")     # not a number, unknown code
    response = upload(client, planner, poll["id"], body.encode("utf-8"))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"row 3", "row 4", "row 5"}
    assert set(errors["row 3"]) == {"township", "sex", "sat"}
    assert "skip logic" in errors["row 4"]["solved"][0]
    assert set(errors["row 5"]) == {"years", "services"}
    listed = client.get(f"/api/v1/polls/{poll['id']}/responses", headers=planner).get_json()
    assert listed == []


def test_gb18030_csv_and_xlsx(client, planner, make_poll):
    poll = make_poll()
    body = HEADER + "P010,T02,2,2,3,1,2,门口积水,12,1\n"
    assert upload(client, planner, poll["id"], body.encode("gb18030")).status_code == 201
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["P011", "T01", 1, 1, 5, 2, None, None, 44, "2;3"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, planner, poll["id"], buffer.getvalue(), "forms.xlsx")
    assert response.status_code == 201, response.get_json()
    detail = [r for r in client.get(f"/api/v1/polls/{poll['id']}/responses",
                                    headers=planner).get_json() if r["external_ref"] == "P010"]
    assert {a["question_id"]: a["value"] for a in detail[0]["answers"]}["detail"] == "门口积水"


def test_unknown_column_and_voice_column(client, planner, make_poll):
    poll = make_poll()
    response = upload(client, planner, poll["id"], b"township,sex,colour\nT01,1,red\n")
    assert "unknown columns: colour" in response.get_json()["errors"]["header"][0]
    response = upload(client, planner, poll["id"], b"township,sex,voice\nT01,1,x.wav\n")
    assert "telephone only" in response.get_json()["errors"]["row 2"]["voice"][0]


def test_paper_mode_must_be_on_the_poll(client, planner, make_poll):
    poll = make_poll(modes=["web"])
    assert upload(client, planner, poll["id"], HEADER.encode()).status_code == 409


def test_missing_file_is_a_422(client, planner, make_poll):
    poll = make_poll()
    response = client.post(f"/api/v1/polls/{poll['id']}/paper-import", headers=planner,
                           data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["errors"]["files"]
