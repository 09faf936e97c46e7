"""The XLSForm step runs against the survey and inspection services over real HTTP: a
questionnaire and a checklist come from workbooks, the questionnaire round-trips, a
broken workbook is refused naming its cells."""

from services.demo import web_poll, xlsform
from tests.shared.xlsform_support import sheet_rows
from tests.support import serving
from tests.survey.conftest import poll_payload


def test_demo_step_end_to_end(make_app, registry_url, evidence_dir, scoring_url,
                              demo_context, tmp_path, capsys):
    inspection = make_app("inspection", SCORING_URL=registry_url,
                          INSPECTION_EVIDENCE_DIR=str(evidence_dir))
    survey = make_app("survey", SCORING_URL=scoring_url)
    with serving(survey) as survey_url, serving(inspection) as inspection_url:
        ctx = demo_context(survey=survey_url, inspection=inspection_url)
        planner = ctx.client("survey", "planner")
        made = planner.post_json("/api/v1/questionnaires", {
            "code": "WEB", "title_zh": "网上调查", "title_en": "Web poll",
            "document": web_poll.DOCUMENT})
        ctx.state["web_poll_id"] = planner.post_json(
            "/api/v1/polls", poll_payload(made["id"], modes=["web"]))["id"]
        xlsform.run(ctx)
    out = capsys.readouterr().out
    assert "questionnaire HALL_QUICK v1 from XLSForm: 5 questions, 4 with skip logic" in out
    assert "imported again as v2: same document: True" in out
    assert "checklist market-order v1 from XLSForm: pass_fail, points, measurement, text" in out
    assert "a broken workbook is refused (422):" in out
    assert "\n    survey!A3 (type): geopoint is not supported" in out
    assert "\n    survey!F4 (relevant): not supported: 'maybe' is not a choice of visited" in out
    saved = sheet_rows((tmp_path / "xlsform_checklist_market-order.xlsx").read_bytes(),
                       "settings")
    assert saved[1][:2] == ["market-order", "农贸市场秩序检查"]
    assert (tmp_path / "xlsform_questionnaire_HALL_QUICK.xlsx").stat().st_size > 0
    assert "the web poll's questionnaire exported to xlsform_web_poll_questionnaire.xlsx" in out
    web = {row[1]: row for row in sheet_rows(
        (tmp_path / "xlsform_web_poll_questionnaire.xlsx").read_bytes(), "survey")}
    assert web["sat_overall"][0] == "select_one sat_overall"
    assert '"satisfied":[4,5]' in web["sat_overall"][7]
    assert {"xlsform_questionnaire_id", "xlsform_checklist_id"} <= set(ctx.state)
