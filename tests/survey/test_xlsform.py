"""Questionnaires from and to XLSForm through the API: every supported construct imports
and round-trips, the imported questionnaire fields a web poll with its skip logic, and
broken workbooks are refused naming sheet, row and column."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.survey.models.interviews import Interview
from tests.shared.xlsform_support import (
    CHOICES_HEADER,
    FULL_CHOICES,
    FULL_SETTINGS,
    FULL_SURVEY,
    SURVEY_HEADER,
    sheet_rows,
    workbook,
)
from tests.survey.conftest import poll_payload, sample_document
from tests.survey.web_support import answer, csrf_of, current_question, issue, path_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, headers, content, name="form.xlsx"):
    import io

    return client.post("/api/v1/questionnaires/xlsform", headers=headers,
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_every_construct_imports_and_round_trips(client, planner):
    made = upload(client, planner, workbook(FULL_SURVEY, FULL_CHOICES, FULL_SETTINGS))
    assert made.status_code == 201, made.get_json()
    first = made.get_json()
    assert (first["code"], first["version"]) == ("TOWN_SAT", 1)
    assert (first["title_zh"], first["title_en"]) == ("乡镇满意度", "Township satisfaction")
    document = first["document"]
    assert document["intro"] == {"zh-CN": "欢迎参加满意度调查",
                                 "en": "Welcome to the satisfaction survey"}
    questions = {q["id"]: q for q in document["questions"]}
    assert list(questions) == ["sex", "resident", "years", "services", "spend",
                               "transport_note", "sat", "why", "last"]
    assert questions["sex"]["type"] == "single" and questions["sex"]["required"] is True
    assert [o["code"] for o in questions["sex"]["options"]] == [1, 2]
    assert [o["code"] for o in questions["resident"]["options"]] == [1, 2]   # yes, no
    assert [o["code"] for o in questions["sat"]["options"]] == [1, 2, 4]
    assert questions["years"] == {
        "id": "years", "type": "number", "integer": True, "range": {"min": 0, "max": 100},
        "text": {"zh-CN": "您在本地居住了多少年", "en": "Years living here"},
        "required": True, "show_if": {"question": "resident", "in": [1]}}
    assert questions["services"]["type"] == "multiple"
    assert questions["spend"]["integer"] is False and questions["spend"]["required"] is False
    assert questions["spend"]["range"] == {"min": 0, "max": 5000.5}
    assert questions["spend"]["show_if"] == {"all": [
        {"question": "services", "in": [3]}, {"question": "years", "gte": 2}]}
    assert questions["transport_note"]["max_length"] == 200
    assert questions["transport_note"]["show_if"] == {"any": [
        {"question": "services", "in": [3]},
        {"all": [{"question": "resident", "not_in": [1]},
                 {"not": {"question": "years", "gt": 50}}]}]}
    assert questions["sat"]["show_if"] == {"any": [
        {"not": {"answered": "spend"}}, {"question": "spend", "lt": 100}]}
    assert questions["why"]["show_if"] == {"all": [
        {"question": "sat", "not_in": [4]}, {"answered": "transport_note"}]}
    assert questions["why"]["required"] is False
    assert questions["last"]["text"] == {"zh-CN": "其他建议 / Other suggestions",
                                         "en": "其他建议 / Other suggestions"}

    exported = client.get(f"/api/v1/questionnaires/{first['id']}/xlsform", headers=planner)
    assert exported.status_code == 200 and exported.mimetype == XLSX
    assert 'filename="TOWN_SAT-v1.xlsx"' in exported.headers["Content-Disposition"]
    survey = sheet_rows(exported.data, "survey")
    assert survey[0][:7] == ["type", "name", "label::zh-CN", "label::English (en)",
                             "required", "relevant", "constraint"]
    assert ["integer", "years", "您在本地居住了多少年", "Years living here", "yes",
            "${resident} = '1'", ". >= 0 and . <= 100"] in [row[:7] for row in survey]
    assert all(row[7] is None for row in survey[1:])        # nothing for the kaoping column
    again = upload(client, planner, exported.data)
    assert again.status_code == 201, again.get_json()
    second = again.get_json()
    assert second["version"] == 2 and second["document"] == document
    assert (second["title_zh"], second["title_en"]) == (first["title_zh"], first["title_en"])
    third = upload(client, planner,
                   client.get(f"/api/v1/questionnaires/{second['id']}/xlsform",
                              headers=planner).data)
    assert third.get_json()["document"] == document


def test_the_imported_questionnaire_fields_a_web_poll(client, planner, engines):
    made = upload(client, planner, workbook(FULL_SURVEY, FULL_CHOICES, FULL_SETTINGS))
    poll = client.post("/api/v1/polls", headers=planner,
                       json=poll_payload(made.get_json()["id"], modes=["web"]))
    assert poll.status_code == 201, poll.get_json()
    poll_id = poll.get_json()["id"]
    assert client.post(f"/api/v1/polls/{poll_id}/open", headers=planner).status_code == 200
    link = issue(client, planner, poll_id, township="T01")[0]
    path = path_of(link)
    assert "欢迎参加满意度调查" in client.get(path).get_data(as_text=True)
    answer(client, path, "sex", 2)
    after = answer(client, path, "resident", 2)           # not resident: years is not asked
    assert current_question(after) == "services"
    after = answer(client, path, "services", [1, 2])      # no transport: spend not asked
    assert current_question(after) == "transport_note"    # shown: not resident
    answer(client, path, "transport_note", "公交太少")
    after = answer(client, path, "sat", 1)                # spend blank: sat shown
    assert current_question(after) == "why"               # sat != 4 and a note given
    answer(client, path, "why", "班次少")
    review = answer(client, path, "last", "无")
    assert current_question(review) is None
    done = client.post(path + "/submit", data={"csrf": csrf_of(review)},
                       follow_redirects=True)
    assert done.status_code == 200
    with Session(engines["survey"]) as session:
        interview = session.scalar(select(Interview).where(Interview.id == link["interview_id"]))
        answers = {a.question_id: a.value for a in interview.answers}
    assert interview.status == "complete" and interview.mode == "web"
    assert answers == {"sex": 2, "resident": 2, "services": [1, 2],
                       "transport_note": "公交太少", "sat": 1, "why": "班次少", "last": "无"}


def test_unsupported_type_is_refused_naming_the_cell(client, planner):
    survey = [SURVEY_HEADER,
              ["integer", "age", "年龄", "Age", "yes", "", ". >= 0 and . <= 120"],
              ["geopoint", "where", "位置", "Where"],
              ["begin_group", "g1", "组", "Group"]]
    refused = upload(client, planner, workbook(survey, [CHOICES_HEADER], FULL_SETTINGS))
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert "geopoint is not supported" in errors["survey!A3 (type)"][0]
    assert "begin_group is not supported" in errors["survey!A4 (type)"][0]
    assert client.get("/api/v1/questionnaires", headers=planner).get_json() == []


def test_bad_relevant_expressions_are_refused_naming_the_cell(client, planner):
    survey = [SURVEY_HEADER,
              ["select_one yn", "q1", "一", "One", "yes"],
              ["integer", "n", "数", "Number", "yes", "${q1} = 'maybe'", ". >= 0 and . <= 9"],
              ["text", "t", "文", "Text", "no", "${n} + 1 > 3"],
              ["text", "u", "文", "Text", "no", "${later} = 'yes'"],
              ["text", "later", "后", "Later", "no", "count-selected(${q1}) > 0"],
              ["decimal", "d", "小数", "Decimal", "no", "", ". > 3"]]
    choices = [CHOICES_HEADER, ["yn", "yes", "是", "Yes"], ["yn", "no", "否", "No"]]
    errors = upload(client, planner, workbook(survey, choices, FULL_SETTINGS)).get_json()[
        "errors"]
    assert "'maybe' is not a choice of q1" in errors["survey!F3 (relevant)"][0]
    assert "cannot read '+ 1 > 3'" in errors["survey!F4 (relevant)"][0]
    assert "${later} is not a question asked before" in errors["survey!F5 (relevant)"][0]
    assert "not supported" in errors["survey!F6 (relevant)"][0]
    assert "range as the constraint" in errors["survey!G7 (constraint)"][0]


def test_missing_and_duplicate_choices_are_refused_naming_the_cell(client, planner):
    survey = [SURVEY_HEADER,
              ["select_one colours", "colour", "颜色", "Colour", "yes"],
              ["select_one yn", "ok", "好吗", "OK?", "yes"],
              ["select_multiple one", "few", "少", "Few", "yes"]]
    choices = [CHOICES_HEADER, ["yn", "yes", "是", "Yes"], ["yn", "no", "否", "No"],
               ["yn", "yes", "是的", "Yes indeed"], ["one", "a", "甲", None]]
    refused = upload(client, planner, workbook(survey, choices, FULL_SETTINGS))
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["code"] == 422 and body["message"] == "This XLSForm cannot be imported"
    errors = body["errors"]
    assert "choice list 'colours' is not on the choices sheet" in errors["survey!A2 (type)"][0]
    assert "duplicate choice name 'yes' in list 'yn'" in errors["choices!B4 (name)"][0]
    assert "needs a text in en" in errors["choices!D5 (label::English (en))"][0]


def test_settings_and_files_are_checked(client, planner, auth):
    no_id = upload(client, planner, workbook(FULL_SURVEY, FULL_CHOICES,
                                             [["form_title"], ["标题"]]))
    errors = no_id.get_json()["errors"]
    assert "needs form_id" in errors["settings (form_id)"][0]
    assert list(errors) == ["settings (form_id)"]       # a plain form_title serves both
    long_title = upload(client, planner, workbook(FULL_SURVEY, FULL_CHOICES, [
        FULL_SETTINGS[0], ["LONG", "长" * 301, "Long", "1"]])).get_json()["errors"]
    assert long_title == {"settings!B2 (form_title)": ["at most 300 characters"]}
    garbage = upload(client, planner, b"not a workbook at all")
    assert garbage.status_code == 422 and "file" in garbage.get_json()["errors"]
    assert upload(client, auth("analyst"), b"x").status_code == 403
    assert client.post("/api/v1/questionnaires/xlsform", headers=planner).status_code == 422


def test_kaoping_fields_travel_in_their_column_and_round_trip(client, planner, auth):
    """The sample questionnaire (rating, yes/no, skip_to, margins, satisfied codes, own
    DK/refused codes) exports and imports back to the same document; only the voice
    question (telephone only) has no XLSForm form."""
    document = sample_document()
    made = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
        "document": document}).get_json()
    refused = client.get(f"/api/v1/questionnaires/{made['id']}/xlsform",
                         headers=auth("analyst"))
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {
        "questions.voice.type": ["a voice question has no XLSForm form (telephone only)"]}
    document["questions"] = [q for q in document["questions"] if q["id"] != "voice"]
    document["questions"][-1]["show_if"] = {"question": "sat", "gte": 4}     # no expression
    without_voice = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "SAT", "title_zh": "满意度", "title_en": "Satisfaction",
        "document": document}).get_json()
    exported = client.get(f"/api/v1/questionnaires/{without_voice['id']}/xlsform",
                          headers=planner)
    assert exported.status_code == 200
    rows = {row[1]: row for row in sheet_rows(exported.data, "survey")[1:]}
    assert rows["sat"][0] == "select_one sat" and rows["sat"][7] == (
        '{"satisfied":[4,5],"scale":{"max":5,"max_label":{"en":"Very satisfied",'
        '"zh-CN":"很满意"},"min":1,"min_label":{"en":"Very dissatisfied",'
        '"zh-CN":"很不满意"}},"type":"rating"}')
    assert rows["detail"][5] == "${solved} = '2'"
    assert '"show_if":{"gte":4,"question":"sat"}' in rows["services"][7]
    assert '"dk_code":998' in rows["years"][7]
    choices = sheet_rows(exported.data, "choices")
    assert ["sat", "3", "3", "3"] in choices and ["problem", "2", "否", "No"] in choices
    again = upload(client, planner, exported.data)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["document"] == without_voice["document"]
    assert client.get("/api/v1/questionnaires/999/xlsform", headers=planner).status_code == 404
    assert client.get(f"/api/v1/questionnaires/{made['id']}/xlsform",
                      headers=auth("unit", unit="U01")).status_code == 403


def test_the_kaoping_column_is_checked_by_cell(client, planner):
    header = [*SURVEY_HEADER, "kaoping"]
    blank = [None] * (len(SURVEY_HEADER) - 4)
    survey = [header,
              ["select_one yn", "a", "一", "One", *blank, "{not json"],
              ["select_one yn", "g", "七", "Seven", *blank, '{"dk_code": NaN}'],
              ["select_one yn", "b", "二", "Two", *blank, '{"colour": "red"}'],
              ["text", "c", "三", "Three", *blank, '{"type": "rating"}'],
              ["select_one yn", "d", "四", "Four", *blank,
               '{"type": "rating", "scale": {"min": 1, "max": 5}}'],
              ["select_one yn", "e", "五", "Five", *blank, '{"type": "yesno"}'],
              ["select_one yn", "f", "六", "Six", "yes", "${e} = '1'", None, None, None,
               '{"show_if": {"answered": "e"}}']]
    choices = [CHOICES_HEADER, ["yn", "1", "是", "Yes"], ["yn", "2", "否", "No"]]
    errors = upload(client, planner, workbook(survey, choices, FULL_SETTINGS)).get_json()[
        "errors"]
    assert "is not a JSON object" in errors["survey!J2 (kaoping)"][0]
    assert "is not a JSON object" in errors["survey!J3 (kaoping)"][0]        # NaN
    assert "unknown keys colour" in errors["survey!J4 (kaoping)"][0]
    assert "on a select_one row" in errors["survey!J5 (kaoping)"][0]
    assert "codes [1, 2, 3, 4, 5], in order" in errors["survey!A6 (type)"][0]
    assert "cannot both be given" in errors["survey!J8 (kaoping)"][0]
    assert set(errors) == {"survey!J2 (kaoping)", "survey!J3 (kaoping)", "survey!J4 (kaoping)",
                           "survey!J5 (kaoping)", "survey!A6 (type)",
                           "survey!J8 (kaoping)"}                        # e is a yes/no


def test_a_retried_upload_with_its_key_makes_one_version(client, planner):
    import io

    content = workbook(FULL_SURVEY, FULL_CHOICES, FULL_SETTINGS)

    def send(body, key="k-1"):
        return client.post("/api/v1/questionnaires/xlsform",
                           headers={**planner, "Idempotency-Key": key},
                           data={"file": (io.BytesIO(body), "form.xlsx")},
                           content_type="multipart/form-data")

    first, again = send(content), send(content)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    other = workbook(FULL_SURVEY, FULL_CHOICES, [FULL_SETTINGS[0], ["OTHER", "另", "Other",
                                                                    "1"]])
    assert send(other).status_code == 409                     # same key, another file
    assert len(client.get("/api/v1/questionnaires", headers=planner).get_json()) == 1


def test_document_checks_of_kaoping_fields_are_named_by_cell(client, planner):
    survey = [[*SURVEY_HEADER, "kaoping"],
              ["select_one yn", "a", "一", "One", "yes", None, None, None, None,
               '{"satisfied": [7]}']]
    choices = [CHOICES_HEADER, ["yn", "1", "是", "Yes"], ["yn", "2", "否", "No"]]
    errors = upload(client, planner, workbook(survey, choices, FULL_SETTINGS)).get_json()[
        "errors"]
    assert errors == {"survey!J2 (kaoping)": ["must be a non-empty list of answer codes ([1, 2])"]}


def test_odd_codes_and_small_numbers_round_trip(client, planner):
    from tests.survey.conftest import q

    document = {"questions": [
        q("pick", options=[{"code": -1, "label": {"zh-CN": "负", "en": "minus"}},
                           {"code": 0, "label": {"zh-CN": "零", "en": "zero"}}]),
        q("dose", type="number", integer=False, range={"min": 0.00001, "max": 0.5},
          show_if={"question": "pick", "in": [-1]}),
        q("many", type="multiple", show_if={"any": [{"question": "dose", "lt": 0.001},
                                                   {"question": "pick", "in": [0, -1]}]}),
    ]}
    made = client.post("/api/v1/questionnaires", headers=planner, json={
        "code": "ODD", "title_zh": "怪", "title_en": "Odd", "document": document}).get_json()
    exported = client.get(f"/api/v1/questionnaires/{made['id']}/xlsform", headers=planner)
    rows = {row[1]: row for row in sheet_rows(exported.data, "survey")[1:]}
    assert rows["dose"][5:7] == ["${pick} = '-1'", ". >= 0.00001 and . <= 0.5"]
    again = upload(client, planner, exported.data)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["document"] == made["document"]
