"""``kaoping demo`` step: a web-mode satisfaction poll of every township.

Creates a questionnaire (zh-CN/en), a web poll of the townships the scoring step
loaded (or all township units of the registry), issues one-time links and lets a few
hundred simulated residents answer by fetching and posting the real HTML pages over
HTTP (some break off, some never open the link). Then it closes the poll and prints
per township: n, effective n, satisfaction rate with its 95% Wilson interval and the
response rate RR2; the estimates CSV is saved. Leaves ``web_poll_id`` in ctx.state.
"""

from __future__ import annotations

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from services.demo.context import DemoContext
from services.demo.polls import open_poll, townships
from services.demo.polls import texts as _t

AGE_BANDS = ("18-34", "35-49", "50-64", "65+")
LINKS = 300          # one-time links in all, spread over the townships
DOCUMENT = {
    "intro": _t("乡镇政府工作满意度网上调查",
                "Online survey of satisfaction with township government"),
    "questions": [
        {"id": "sex", "type": "single", "text": _t("您的性别", "Your sex"),
         "options": [{"code": 1, "label": _t("男", "Male")},
                     {"code": 2, "label": _t("女", "Female")}],
         "margin": {"variable": "sex", "map": {"1": "M", "2": "F"}}},
        {"id": "age", "type": "single", "text": _t("您的年龄", "Your age"),
         "options": [{"code": i + 1, "label": _t(band + "岁", band)}
                     for i, band in enumerate(AGE_BANDS)],
         "margin": {"variable": "age_band",
                    "map": {str(i + 1): band for i, band in enumerate(AGE_BANDS)}}},
        {"id": "sat_overall", "type": "rating",
         "text": _t("总体而言，您对本乡镇政府的工作满意吗？",
                    "Overall, how satisfied are you with your township government?"),
         "scale": {"min": 1, "max": 5, "min_label": _t("很不满意", "Very dissatisfied"),
                   "max_label": _t("很满意", "Very satisfied")},
         "satisfied": [4, 5]},
        {"id": "sat_services", "type": "single",
         "text": _t("您对办事大厅的服务满意吗？", "Are you satisfied with the service hall?"),
         "options": [{"code": 1, "label": _t("满意", "Satisfied")},
                     {"code": 2, "label": _t("基本满意", "Fairly satisfied")},
                     {"code": 3, "label": _t("不满意", "Dissatisfied")}],
         "satisfied": [1, 2]},
        {"id": "reported", "type": "yesno",
         "text": _t("过去一年您是否向乡镇反映过问题？",
                    "Did you report a problem to the township this year?"),
         "skip_to": [{"if": {"question": "reported", "in": [2, 98, 99]}, "to": "suggestion"}]},
        {"id": "solved", "type": "yesno", "text": _t("问题解决了吗？", "Was it solved?"),
         "satisfied": [1]},
        {"id": "suggestion", "type": "text", "required": False,
         "text": _t("您对乡镇工作有什么建议？", "Any suggestion for the township?")},
    ],
}


class Resident:
    """A simulated resident with a township-specific mood; answers by posting forms."""

    def __init__(self, rng: random.Random, mood: float):
        self.rng = rng
        self.mood = mood
        self.sex = rng.choice((1, 2))
        self.age = rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]   # web skews young
        self.breaks_off_at = rng.choice(("sat_services", "reported")) \
            if rng.random() < 0.08 else None

    def choose(self, qid: str, options: list[str]) -> Any:
        rng = self.rng
        if qid == self.breaks_off_at:
            return None
        if qid == "sex":
            return str(self.sex)
        if qid == "age":
            return str(self.age)
        if qid == "sat_overall":
            if rng.random() < 0.04:
                return "98"
            happy = rng.random() < self.mood + (0.05 if self.age >= 3 else 0)
            return str(rng.choice((4, 5)) if happy else rng.choice((1, 2, 3)))
        if qid == "sat_services":
            return str(rng.choice((1, 2)) if rng.random() < self.mood + 0.05 else 3)
        if qid == "reported":
            return "1" if rng.random() < 0.3 else "2"
        if qid == "solved":
            return "1" if rng.random() < self.mood else "2"
        if qid == "suggestion":
            return rng.choice(("", "", "希望多修路灯", "办事大厅周末开放"))
        if qid == "township":
            return options[0]
        return options[0] if options else ""


def _field(html: str, name: str) -> str | None:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else None


def answer_link(http: requests.Session, url: str, choose) -> str:
    """Answer one web link as a person would: GET the page, POST the form, follow the
    redirect, until the review page is submitted. Returns complete / broken_off / the
    message shown."""
    page = http.get(url, timeout=30)
    for _ in range(50):
        html = page.text
        csrf = _field(html, "csrf")
        if csrf is None:
            return "complete" if "感谢您的参与" in html or "Thank you for taking" in html \
                else "message"
        if "/submit" in html and _field(html, "question") is None and 'name="township"' not in html:
            page = http.post(url + "/submit", data={"csrf": csrf}, timeout=30)
            continue
        if 'name="township"' in html:
            options = re.findall(r'name="township" value="([^"]+)"', html)
            page = http.post(url, data={"csrf": csrf, "township": choose("township", options)},
                             timeout=30)
            continue
        qid = _field(html, "question")
        options = re.findall(r'name="answer" value="([^"]+)"', html)
        value = choose(qid, options)
        if value is None:
            return "broken_off"
        page = http.post(url, data={"csrf": csrf, "question": qid, "answer": value}, timeout=30)
    return "stuck"


def _pct(value) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def run(ctx: DemoContext) -> None:
    ctx.section("Survey: web-mode satisfaction poll (simulated residents over HTTP)")
    started = time.monotonic()
    planner = ctx.client("survey", "planner")
    polled = townships(ctx)
    questionnaire, poll = open_poll(planner, {
        "code": "WEB-SAT", "title_zh": "乡镇满意度网上问卷",
        "title_en": "Township satisfaction web questionnaire", "document": DOCUMENT}, {
        "name_zh": "乡镇政府工作满意度网上调查", "name_en": "Township satisfaction web poll",
        "modes": ["web"], "townships": [{"code": code, "target_completes": 25} for code in polled]},
        field_days=(-1, 14))
    poll_id = poll["id"]
    ctx.state["web_poll_id"] = poll_id
    per_township = max(8, LINKS // max(1, len(polled)))
    rng = random.Random(4)
    jobs = []
    for code in polled:
        links = planner.post_json(f"/api/v1/polls/{poll_id}/links",
                                  {"count": per_township, "township": code})["links"]
        mood = rng.uniform(0.45, 0.9)
        for link in links:
            opens = rng.random() > 0.1
            jobs.append((link["url"] if opens else None, Resident(random.Random(rng.random()),
                                                                     mood)))
    ctx.say(f"  questionnaire {questionnaire['code']} v{questionnaire['version']}, poll {poll_id}"
            f", {len(polled)} townships, {len(jobs)} one-time links")

    def respond(job):
        url, resident = job
        if url is None:
            return "not_opened"
        with requests.Session() as http:
            return answer_link(http, _local(ctx, url), resident.choose)

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(respond, jobs))
    tally = {k: outcomes.count(k) for k in sorted(set(outcomes))}
    ctx.say(f"  residents: {tally}  ({time.monotonic() - started:.0f} s)")
    planner.request("POST", f"/api/v1/polls/{poll_id}/close")
    _report(ctx, poll_id)
    ctx.say(f"  ({time.monotonic() - started:.0f} s)")


def _local(ctx: DemoContext, url: str) -> str:
    """Links carry PUBLIC_BASE_URL; the demo reaches the service directly."""
    return ctx.url("survey") + url[url.index("/r/"):]


def _report(ctx: DemoContext, poll_id: int) -> None:
    analyst = ctx.client("survey", "analyst")
    estimates = analyst.get_json(f"/api/v1/polls/{poll_id}/estimates?question=sat_overall"
                                 "&overall=true")
    rates = analyst.get_json(f"/api/v1/polls/{poll_id}/outcome-rates")
    rr = {entry["township"]: entry["rates"]["RR2"] for entry in rates["townships"]}
    rr["ALL"] = rates["overall"]["rates"]["RR2"]
    raking = estimates["method"].get("raking", {})
    ctx.say(f"  weights: base N/n raked to the registry's margins — converged="
            f"{raking.get('converged')} after {raking.get('iterations')} iterations "
            f"(tol {raking.get('tol')}, cap {raking.get('max_iter')})")
    unused: dict[str, list[str]] = {}
    for margin in estimates["method"].get("margins", []):
        if not margin["used"]:
            unused.setdefault(margin["variable"], []).append(margin["reason"])
    used = sorted({m["variable"] for m in estimates["method"].get("margins", []) if m["used"]})
    ctx.say(f"  margins used: {', '.join(used) or 'none'}")
    for variable, reasons in sorted(unused.items()):
        ctx.say(f"  margin {variable} not used in {len(reasons)} townships, e.g. {reasons[0]}")
    ctx.say("  township    n   n_eff  satisfied  95% Wilson interval   RR2")
    for row in estimates["rows"]:
        if row["statistic"] != "satisfaction_rate":
            continue
        ctx.say(f"  {row['township']:<8} {row['n']:>4} {row['n_eff'] or 0:>7.1f}   "
                f"{_pct(row['estimate'])}   [{_pct(row['ci_low'])}, {_pct(row['ci_high'])}]"
                f"    {_pct(rr.get(row['township']))}")
    csv_bytes = analyst.request("GET", f"/api/v1/polls/{poll_id}/estimates/export?format=csv"
                                ).content
    path = ctx.save("survey-web-estimates.csv", csv_bytes)
    ctx.say(f"  all estimates (every question, township): {path}")
