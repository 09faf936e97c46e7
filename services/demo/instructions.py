"""``kaoping demo`` step: leadership instructions (批示件督办) and deadline reminders by SMS.

Three instructions of the county head to the first three townships, dated around the
real today (the service stamps reports with its clock): one reported done and verified
before its deadline, then closed (on time); one left overdue; one whose lead unit asks
for more time and the office approves it (extended). Each township gets a reminder
number (stored encrypted), one of them opted out. Then reminder rounds run on chosen
instants (``kaoping reminders send --at``): the day after the overdue one's deadline
(an overdue reminder), that night (quiet hours: nothing), the same day again (nothing
twice) and three days before the extended deadline; the texts are printed and, after
the carrier's signed status callbacks, the delivery statuses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from services.demo.context import DemoContext
from services.demo.polls import townships
from shared.config import COUNTY_TZ, county_today

NUMBERS = ("+8613800138101", "+8613800138102", "+8613800138103")


def reminder_round() -> Callable[[datetime], object]:
    """A round on this environment's scoring database and SMS account (the simulated
    carrier unless ``TWILIO_API_BASE_URL`` names another endpoint)."""
    import dataclasses

    from services.scoring.config import ReminderProcessSettings, ReminderSettings
    from services.scoring.reminder_cli import make_round

    settings, process = ReminderSettings.from_env(), ReminderProcessSettings.from_env()
    if process.twilio_api_base_url is None:
        settings = dataclasses.replace(settings, sms=dataclasses.replace(
            settings.sms, api_base_url=process.carrier_url))
    return make_round(settings)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=COUNTY_TZ).astimezone(UTC)


def run(ctx: DemoContext, make_round: Callable[[], Callable] = reminder_round) -> None:
    ctx.section("Leadership instructions (批示件) and deadline reminders by SMS")
    planner = ctx.client("scoring", "planner")
    codes = townships(ctx)[:3]
    today = county_today()

    def create(title: str, deadline: date, units: list[str], number: int) -> dict:
        return planner.post_json("/api/v1/instructions", {
            "leader": "县长", "document_no": f"县长批示〔{today.year}〕{number}号",
            "issued_on": (today - timedelta(days=40)).isoformat(), "title": title,
            "text": f"{title}：请牵头单位会同协办单位限期办结，并报送办理情况。",
            "deadline": deadline.isoformat(),
            "attachments": [f"https://oa.example/pishi/{number}.pdf"],
            "units": [{"unit": units[0], "role": "lead"},
                      *({"unit": u, "role": "assisting"} for u in units[1:])]},
            idempotency_key=f"demo-instruction-{number}")

    closed = create("城区河道清淤整治", today + timedelta(days=10), codes[:2], 101)
    lead = ctx.client("scoring", "unit", codes[0])
    lead.post_json(f"/api/v1/instructions/{closed['id']}/reports", {
        "text": "已完成清淤 3.2 公里，拆除违建 2 处", "completed": True,
        "evidence": ["https://oa.example/photos/hd-1.jpg"]})
    planner.post_json(f"/api/v1/instructions/{closed['id']}/judgement", {"action": "verify"})
    closed = planner.post_json(f"/api/v1/instructions/{closed['id']}/judgement",
                               {"action": "close", "note": "办结归档"})
    overdue = create("农贸市场环境整治", today - timedelta(days=2), codes[1:2], 102)
    extended = create("校园周边交通安全排查", today + timedelta(days=2), [codes[2]], 103)
    third = ctx.client("scoring", "unit", codes[2])
    asked = third.post_json(f"/api/v1/instructions/{extended['id']}/extensions", {
        "reason": "需等待交警部门联合检查", "requested_deadline":
            (today + timedelta(days=20)).isoformat()})
    planner.post_json(f"/api/v1/instructions/{extended['id']}/extensions/{asked['id']}",
                      {"approve": True, "note": "同意延期"})
    for item in planner.get_json("/api/v1/instructions"):
        if item["id"] in (closed["id"], overdue["id"], extended["id"]):
            moved = (f", extended from {item['original_deadline']}"
                     if item["deadline"] != item["original_deadline"] else "")
            ctx.say(f"  #{item['id']} {item['title']} ({item['document_no']}), lead "
                    f"{item['lead_unit']}: {item['state']}, deadline {item['deadline']}{moved}")
    late = planner.get_json("/api/v1/instructions", params={"overdue": "true"})
    listed = ", ".join(f"#{i['id']}" for i in late) or "none"
    ctx.say(f"  overdue list: {listed}")
    for code, number in zip(codes, NUMBERS, strict=True):
        contact = planner.post_json("/api/v1/reminders/contacts",
                                    {"unit": code, "number": number, "name": "办公室"})
        if code == codes[2]:
            planner.request("PATCH", f"/api/v1/reminders/contacts/{contact['id']}",
                            json={"opted_out": True})
    ctx.say(f"  reminder numbers: {', '.join(codes)} (stored encrypted; {codes[2]}'s "
            "number opted out)")
    _rounds(ctx, make_round(), today, date.fromisoformat(overdue["deadline"]),
            today + timedelta(days=20))
    ctx.state["instructions"] = [closed["id"], overdue["id"], extended["id"]]


def _rounds(ctx: DemoContext, round_at, today: date, overdue_deadline: date,
            extended_deadline: date) -> None:
    day_after = overdue_deadline + timedelta(days=1)
    for label, instant in (("the day after the overdue deadline", _at(day_after, 9)),
                           ("that night", _at(day_after, 23)),
                           ("the same morning again", _at(day_after, 10)),
                           ("three days before the extended deadline",
                            _at(extended_deadline - timedelta(days=3), 9))):
        result = round_at(instant)
        if result.quiet:
            ctx.say(f"  round at {instant.astimezone(COUNTY_TZ):%Y-%m-%d %H:%M} ({label}): "
                    "quiet hours, nothing sent")
            continue
        mine = [s for s in result.sent if s["case"].startswith("instruction:")]
        ctx.say(f"  round at {instant.astimezone(COUNTY_TZ):%Y-%m-%d %H:%M} ({label}): "
                f"{len(result.sent)} reminder(s), {len(mine)} of instructions, "
                f"{result.skipped_claimed} already sent")
        for item in mine:
            ctx.say(f"    {item['unit']} {item['kind']}: {item['text']} "
                    f"-> {len(item['messages'])} SMS")
    time.sleep(1.0)  # the carrier's status callbacks
    planner = ctx.client("scoring", "planner")
    statuses: dict[str, int] = {}
    for reminder in planner.get_json("/api/v1/reminders"):
        for message in reminder["messages"]:
            statuses[message["status"]] = statuses.get(message["status"], 0) + 1
    ctx.say(f"  delivery (signed status callbacks): "
            f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items())) or 'no message'}")
