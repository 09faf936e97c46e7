"""``kaoping demo`` step: a questionnaire and a checklist written as XLSForm workbooks.

A planner uploads a short service-hall questionnaire (select_one, select_multiple,
integer, text, an introduction note and skip logic in ``relevant``) to the survey
service and a market-order checklist (pass/fail, points, a measurement, a remark) to
the inspection service; both are exported back (the workbooks are saved) and the
questionnaire's export is imported again to show it is the same document, and the web
poll's questionnaire (when the web-poll step ran) is exported too. A workbook
with a geopoint and an unknown choice is refused, naming sheet, row and column.
Leaves ``xlsform_questionnaire_id`` and ``xlsform_checklist_id`` in ctx.state.
"""

from __future__ import annotations

from typing import Any

from services.demo.context import DemoContext
from shared.client import ServiceClient, ServiceError
from shared.xlsform import EN_LABEL, XLSX_MIME, ZH_LABEL, write_workbook

SURVEY = ("type", "name", ZH_LABEL, EN_LABEL, "required", "relevant", "constraint")
CHOICES = ("list_name", "name", ZH_LABEL, EN_LABEL)
SETTINGS = ("form_id", "form_title", "form_title::English (en)")
QUESTIONNAIRE = {
    "survey": (SURVEY, [
        ("note", "intro", "便民服务大厅快速评价", "Quick rating of the service hall"),
        ("select_one yn", "visited", "今年您去过便民服务大厅吗？",
         "Have you visited the service hall this year?", "yes"),
        ("integer", "visits", "去过几次？", "How many times?", "yes", "${visited} = 'yes'",
         ". >= 1 and . <= 50"),
        ("select_one sat", "hall_sat", "您对大厅的服务满意吗？",
         "Are you satisfied with the hall's service?", "yes", "${visited} = 'yes'"),
        ("select_multiple matters", "matters", "您办理过哪些事项？", "What did you go for?",
         "no", "${visited} = 'yes' and ${visits} >= 2"),
        ("text", "why", "不满意的原因是什么？", "Why not satisfied?", "no",
         "selected(${hall_sat}, '3')", "string-length(.) <= 300"),
    ]),
    "choices": (CHOICES, [
        ("yn", "yes", "是", "Yes"), ("yn", "no", "否", "No"),
        ("sat", "1", "满意", "Satisfied"), ("sat", "2", "基本满意", "Fairly satisfied"),
        ("sat", "3", "不满意", "Dissatisfied"),
        ("matters", "1", "社保医保", "Social and health insurance"),
        ("matters", "2", "户籍证件", "Household registration"),
        ("matters", "3", "不动产登记", "Real estate registration"),
    ]),
    "settings": (SETTINGS, [("HALL_QUICK", "便民服务大厅快速评价", "Service hall quick rating")]),
}
CHECKLIST = {
    "survey": (("type", "name", ZH_LABEL, EN_LABEL, "constraint", "weight", "critical",
                "photo_required", "unit", "tolerance", "tolerance_kind"), [
        ("select_one pf", "market.prices_posted", "明码标价", "Prices posted", "", "2", "yes"),
        ("integer", "market.cleanliness", "市场环境卫生", "Market cleanliness",
         ". >= 0 and . <= 10", "1"),
        ("decimal", "market.scale_error", "公平秤误差", "Public scale error", "", "1", "no",
         "yes", "g", "5", "absolute"),
        ("text", "market.note", "备注", "Remarks", "", "0"),
    ]),
    "choices": (CHOICES, [("pf", "pass", "合格", "Pass"), ("pf", "fail", "不合格", "Fail"),
                          ("pf", "na", "不适用", "N/A")]),
    "settings": (("form_id", "form_title", "form_title::English (en)", "critical_cap"),
                 [("market-order", "农贸市场秩序检查", "Farmers' market order check", "60")]),
}
BROKEN = {
    "survey": (SURVEY, [
        ("select_one yn", "visited", "去过吗？", "Visited?", "yes"),
        ("geopoint", "where", "您在哪里？", "Where are you?"),
        ("text", "why", "原因", "Why", "no", "${visited} = 'maybe'"),
    ]),
    "choices": QUESTIONNAIRE["choices"],
    "settings": QUESTIONNAIRE["settings"],
}


def _upload(client: ServiceClient, path: str, content: bytes) -> dict[str, Any]:
    return client.request("POST", path,
                          files={"file": ("form.xlsx", content, XLSX_MIME)}).json()


def run(ctx: DemoContext) -> None:
    ctx.section("XLSForm: a questionnaire and a checklist from workbooks")
    survey, inspection = ctx.client("survey", "planner"), ctx.client("inspection", "planner")
    made = _upload(survey, "/api/v1/questionnaires/xlsform", write_workbook(QUESTIONNAIRE))
    questions = made["document"]["questions"]
    ctx.say(f"  questionnaire {made['code']} v{made['version']} from XLSForm: "
            f"{len(questions)} questions, "
            f"{sum('show_if' in q for q in questions)} with skip logic")
    exported = survey.request("GET", f"/api/v1/questionnaires/{made['id']}/xlsform").content
    saved = ctx.save("xlsform_questionnaire_HALL_QUICK.xlsx", exported)
    again = _upload(survey, "/api/v1/questionnaires/xlsform", exported)
    ctx.say(f"  exported to {saved.name}; imported again as v{again['version']}: "
            f"same document: {again['document'] == made['document']}")
    checklist = _upload(inspection, "/api/v1/checklists/xlsform", write_workbook(CHECKLIST))
    kinds = ", ".join(item["response_type"] for item in checklist["items"])
    ctx.say(f"  checklist {checklist['code']} v{checklist['version']} from XLSForm: {kinds}")
    ctx.save("xlsform_checklist_market-order.xlsx", inspection.request(
        "GET", f"/api/v1/checklists/{checklist['id']}/xlsform").content)
    poll_id = ctx.state.get("web_poll_id")
    if poll_id is not None:
        used = survey.get_json(f"/api/v1/polls/{poll_id}")["questionnaire_id"]
        saved = ctx.save("xlsform_web_poll_questionnaire.xlsx", survey.request(
            "GET", f"/api/v1/questionnaires/{used}/xlsform").content)
        ctx.say(f"  the web poll's questionnaire exported to {saved.name} (its rating, "
                "margins, satisfied codes and skip_to in the kaoping column)")
    try:
        _upload(survey, "/api/v1/questionnaires/xlsform", write_workbook(BROKEN))
    except ServiceError as refused:
        ctx.say(f"  a broken workbook is refused ({refused.upstream_status}):")
        for cell, reasons in refused.body["errors"].items():
            ctx.say(f"    {cell}: {reasons[0][:70]}")
    else:
        raise RuntimeError("the broken workbook was imported")
    ctx.state["xlsform_questionnaire_id"] = made["id"]
    ctx.state["xlsform_checklist_id"] = checklist["id"]
