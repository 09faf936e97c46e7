"""``kaoping demo`` step: the mid-year telephone poll of every township through the
simulated carrier.

Creates a phone questionnaire and poll of the townships the scoring step loaded, a
campaign that calls around the clock (so the demo works at any hour), imports a frame
of 25 numbers per township, starts the campaign, follows the dialer with a progress
line for at most ``FOLLOW_SECONDS``, and prints each township's dispositions and AAPOR
RR3. Leaves ``phone_poll_id`` and ``phone_campaign_id`` in ctx.state.
"""

from __future__ import annotations

import json
import time

from services.demo.context import DemoContext
from services.demo.polls import open_poll, townships
from services.demo.polls import texts as _t
from shared.client import ServiceClient

PER_TOWNSHIP = 25
TARGET = 10
# How long the step follows the dialer before it prints what it has.
FOLLOW_SECONDS = 55.0

DOCUMENT = {
    "questions": [
        {"id": "sat", "type": "single", "text": _t("您对本乡镇政府的工作满意吗？",
                                                   "Satisfied with the township government?"),
         "options": [{"code": 1, "label": _t("满意", "satisfied")},
                     {"code": 2, "label": _t("基本满意", "fairly satisfied")},
                     {"code": 3, "label": _t("不满意", "dissatisfied")}],
         "satisfied": [1, 2]},
        {"id": "efficiency", "type": "rating", "text": _t("请为办事效率打分。",
                                                          "Rate the efficiency."),
         "scale": {"min": 1, "max": 5, "min_label": _t("很差", "very poor"),
                   "max_label": _t("很好", "very good")}, "satisfied": [4, 5]},
        {"id": "reported", "type": "yesno", "text": _t("过去一年您是否向政府反映过问题？",
                                                        "Reported a problem this year?"),
         "skip_to": [{"if": {"question": "reported", "in": [2, 98, 99]}, "to": "advice"}]},
        {"id": "solved", "type": "yesno", "text": _t("问题是否得到解决？", "Was it solved?"),
         "satisfied": [1]},
        {"id": "advice", "type": "voice", "text": _t("请说出您对政府工作的建议。",
                                                     "Please say your advice to the government."),
         "required": False, "max_seconds": 60},
    ],
}


def _frame(townships: list[str]) -> bytes:
    lines = ["phone,township"]
    for i, township in enumerate(townships, start=1):
        lines += [f"139{i:04d}{n:04d},{township}" for n in range(PER_TOWNSHIP)]
    return ("\n".join(lines) + "\n").encode()


def _setup(ctx: DemoContext, planner: ServiceClient, townships: list[str]) -> tuple[int, int]:
    _questionnaire, poll = open_poll(planner, {
        "code": "phone-midyear", "title_zh": "年中群众满意度电话调查",
        "title_en": "Mid-year resident satisfaction telephone poll", "document": DOCUMENT}, {
        "name_zh": "年中电话调查", "name_en": "Mid-year telephone poll", "modes": ["phone"],
        "townships": [{"code": t, "target_completes": TARGET} for t in townships],
        "stop_at_quota": True}, field_days=(0, 30))
    campaign = planner.post_json("/api/v1/telephony/campaigns", {
        "poll_id": poll["id"], "name": "年中电话调查", "from_number": "+8657488880000",
        "windows": ["00:00-24:00"], "weekdays": list(range(7)), "max_attempts": 3,
        "max_concurrent": 40, "cps": 25,
        "delays": {"no-answer": 3, "busy": 3, "machine": 3, "break-off": 3, "no-consent": 3}})
    frame = planner.request("POST", f"/api/v1/telephony/campaigns/{campaign['id']}/frame",
                            files={"file": ("frame.csv", _frame(townships), "text/csv")}).json()
    ctx.say(f"  frame: {frame['imported']} numbers imported for {len(townships)} townships "
            f"(stored encrypted; {frame['duplicates']} duplicates, {frame['do_not_call']} "
            "on the do-not-call list)")
    planner.request("POST", f"/api/v1/telephony/campaigns/{campaign['id']}/start")
    return poll["id"], campaign["id"]


def _follow(ctx: DemoContext, analyst: ServiceClient, campaign_id: int) -> dict:
    started = time.monotonic()
    while True:
        progress = analyst.get_json(f"/api/v1/telephony/campaigns/{campaign_id}/progress")
        rows = progress["townships"]
        line = (f"  [{time.monotonic() - started:4.0f}s] dialled {sum(r['dialled'] for r in rows)}"
                f"  claimed {progress['claimed']}  in progress {progress['in_progress']}"
                "  completes "
                f"{sum(r['completes'] for r in rows)}  cases open {progress['pending']}")
        done = progress["state"] == "finished" or time.monotonic() - started > FOLLOW_SECONDS
        ctx.progress(line, final=done)
        if done:
            return progress
        time.sleep(1.0)


def _rate(value: float | None) -> str:
    """Three decimals; "-" while no case is resolved (a campaign still running)."""
    return "-" if value is None else f"{value:.3f}"


def run(ctx: DemoContext) -> None:
    ctx.section("Telephone poll of every township (simulated carrier, AAPOR dispositions)")
    planner = ctx.client("survey", "planner")
    poll_id, campaign_id = _setup(ctx, planner, townships(ctx))
    progress = _follow(ctx, ctx.client("survey", "analyst"), campaign_id)
    ctx.say(f"  campaign {campaign_id}: {progress['state']}")
    header = (f"  {'township':<9}{'dialled':>8}{'I':>5}{'P':>5}{'R':>5}{'NC':>5}{'UH':>5}"
              f"{'NE':>5}{'RR3':>7}{'quota':>8}")
    ctx.say(header)
    for row in progress["townships"]:
        rr3 = f"{row['rr3']:.2f}" if row["rr3"] is not None else "-"
        ctx.say(f"  {row['township']:<9}{row['dialled']:>8}{row['completes']:>5}"
                f"{row['partials']:>5}{row['refusals']:>5}{row['non_contacts']:>5}"
                f"{row['unknown']:>5}{row['not_eligible']:>5}{rr3:>7}"
                f"{row['completes']:>5}/{row['target_completes']:<2}")
    overall = progress["overall"]["rates"]
    ctx.say(f"  overall RR1 {_rate(overall['RR1'])}  RR3 {_rate(overall['RR3'])}  "
            f"COOP1 {_rate(overall['COOP1'])}  (e = {_rate(progress['overall']['e'])}, "
            "estimated from resolved cases)")
    ctx.say("  AAPOR groups: I complete 完成, P partial 部分完成, R refusal/break-off 拒访/中断, "
            "NC non-contact 未接触 (no answer, busy, machine), UH unknown 资格未知, "
            "NE not eligible 不符合 (bad number, or not dialled once the quota was filled, 4.80)")
    ctx.save("phone_progress.json", json.dumps(progress, ensure_ascii=False, indent=2))
    ctx.state["phone_poll_id"] = poll_id
    ctx.state["phone_campaign_id"] = campaign_id
