"""``kaoping demo`` step: June spot checks — 60 unannounced and 20 open visits.

A checklist whose measured items share their ids with the scheme's self-check
indicators; an unannounced plan drawn at random (stratified by peer group, with the
demo's fixed seed ``DRAW_SEED``, recorded) and an open plan chosen by hand; a unit that
cannot see the unannounced plan until the inspector checks in; check-ins with GPS,
answers, measurements that sometimes disagree with the self-report, photos (generated
PNGs) uploaded with their SHA-256, idempotent submission, review, findings →
rectification orders that the units answer with evidence and the office verifies, one
overdue. Prints scores per unit, discrepancies, the overdue list and the audit chain
check. Leaves in ``ctx.state``: ``inspection_window`` (``2026-06-01``, ``2026-06-30``).
"""

from __future__ import annotations

import hashlib
import random
import struct
import uuid
import zlib
from datetime import timedelta
from typing import Any

from services.demo.context import DemoContext
from shared.client import ServiceError
from shared.config import county_today
from shared.db import utcnow

WINDOW = ("2026-06-01", "2026-06-30")
SELF_CHECK_MONTH = "2026-06"
UNANNOUNCED, OPEN = 60, 20
INSPECTOR = "demo-inspector"  # the subject of the demo's inspector token
# The demo gives its unannounced draw a seed, so that every run draws the same units and
# prints the same figures from here to the assessment; a real plan leaves the seed out
# and the service draws one it cannot predict (``secrets``), and records it.
DRAW_SEED = 20260601

CHECKLIST = {
    "code": "township-spot-check", "name_zh": "乡镇及部门明查暗访检查表",
    "name_en": "Spot check of townships and departments", "critical_cap": 60,
    "items": [
        {"item_id": "site.fire_exits", "text_zh": "消防通道畅通、无堵塞",
         "text_en": "Fire exits clear", "weight": 3, "response_type": "pass_fail",
         "critical": True},
        {"item_id": "site.service_hall", "text_zh": "服务大厅公示规范、人员在岗",
         "text_en": "Service hall notices posted, staff at post", "weight": 2,
         "response_type": "pass_fail"},
        {"item_id": "site.sanitation", "text_zh": "环境卫生（0-10分）",
         "text_en": "Sanitation (0-10 points)", "weight": 2, "response_type": "points",
         "max_points": 10},
        {"item_id": "site.ledgers", "text_zh": "台账资料完整（0-5分）",
         "text_en": "Ledgers complete (0-5 points)", "weight": 1, "response_type": "points",
         "max_points": 5},
        {"item_id": "sc_investment", "text_zh": "固定资产投资额核实（现场拍照）",
         "text_en": "Fixed-asset investment verified (photo on site)", "weight": 2,
         "response_type": "measurement", "unit_of_measure": "10k CNY", "tolerance": 0.05,
         "tolerance_kind": "relative", "photo_required": True},
        {"item_id": "sc_complaints_closed", "text_zh": "投诉办结率抽查",
         "text_en": "Complaints closed, sampled", "weight": 1,
         "response_type": "measurement", "unit_of_measure": "%", "tolerance": 2,
         "tolerance_kind": "absolute"},
        {"item_id": "sc_safety_incidents", "text_zh": "安全事故数核实",
         "text_en": "Safety incidents verified", "weight": 1, "response_type": "measurement",
         "unit_of_measure": "count", "tolerance": 0, "tolerance_kind": "absolute"},
        {"item_id": "remarks", "text_zh": "其他情况", "text_en": "Remarks", "weight": 0,
         "response_type": "text"},
    ],
}
MEASURED = ("sc_investment", "sc_complaints_closed", "sc_safety_incidents")


def png(width: int, height: int, seed: int) -> bytes:
    """A small generated PNG photo stand-in: a gradient with a unit-specific tint."""
    rng = random.Random(seed)
    tint = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (
            (tint[0] + x) % 256, (tint[1] + y) % 256, (tint[2] + x + y) % 256))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def _units(ctx) -> list[dict[str, Any]]:
    """Active units from the scoring registry; the townships in ``ctx.state`` otherwise."""
    try:
        units = ctx.client("scoring", "planner").get_json("/api/v1/units?active=true")
        if units:
            return units
    except Exception as exc:  # the registry is another service; fall back, say so
        ctx.say(f"  (scoring registry not readable: {exc}; using ctx.state townships)")
    return [{"code": code, "peer_group": "TS", "kind": "township", "lat": None, "lon": None}
            for code in ctx.state.get("townships") or [f"T{i:02d}" for i in range(1, 13)]]


def _self_reports(ctx) -> dict[tuple[str, str], float]:
    try:
        rows = ctx.client("scoring", "planner").get_json(
            f"/api/v1/self-checks?period={SELF_CHECK_MONTH}")
    except Exception:
        return {}
    return {(r["unit"], r["indicator"]): r["actual"] for r in rows if r["actual"] is not None}


def _sizes(units: list[dict[str, Any]], total: int) -> dict[str, int]:
    """Largest-remainder split of ``total`` draws over peer groups, by group size."""
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit["peer_group"]] = counts.get(unit["peer_group"], 0) + 1
    total = min(total, len(units))
    quotas = {g: total * n / len(units) for g, n in counts.items()}
    sizes = {g: int(q) for g, q in quotas.items()}
    for group in sorted(quotas, key=lambda g: (-(quotas[g] - sizes[g]), g))[
            :total - sum(sizes.values())]:
        sizes[group] += 1
    return sizes


class Field:
    """What the demo's inspectors, office and units do through the API."""

    def __init__(self, ctx, reports: dict[tuple[str, str], float], rng: random.Random):
        self.ctx, self.reports, self.rng = ctx, reports, rng
        self.inspector = ctx.client("inspection", "inspector")
        self.planner = ctx.client("inspection", "planner")
        self.photos = 0

    def check_in(self, visit: dict[str, Any], unit: dict[str, Any], index: int) -> dict:
        lat, lon = unit.get("lat") or 30.52, unit.get("lon") or 111.05
        far = index % 29 == 7  # now and then an inspector checks in from the wrong place
        fix = {"lat": lat + (0.02 if far else self.rng.uniform(-0.001, 0.001)),
               "lon": lon + self.rng.uniform(-0.001, 0.001),
               "accuracy_m": round(self.rng.uniform(4, 30), 1), "provider": "gps",
               "mock_location": index % 41 == 13}
        return self.inspector.post_json(f"/api/v1/visits/{visit['id']}/check-in", fix)

    def photo(self, visit_id: int, item_id: str | None, finding_ref: str | None = None) -> int:
        self.photos += 1
        content = png(96, 64, visit_id * 100 + self.photos)
        declared = self.inspector.post_json(f"/api/v1/visits/{visit_id}/attachments", {
            "kind": "photo", "filename": f"visit{visit_id}-{self.photos}.png",
            "content_type": "image/png", "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(), "item_id": item_id,
            "finding_ref": finding_ref})
        self.inspector.request("PUT", f"/api/v1/visits/{visit_id}/attachments/"
                               f"{declared['id']}/content", data=content,
                               headers={"Content-Type": "image/png"})
        return declared["id"]

    def answers(self, unit: str) -> tuple[list[dict], list[dict]]:
        rng = self.rng
        fire = "fail" if rng.random() < 0.08 else "pass"
        hall = "fail" if rng.random() < 0.15 else "pass"
        sanitation = rng.randint(4, 10)
        answers = [{"item_id": "site.fire_exits", "result": fire},
                   {"item_id": "site.service_hall", "result": hall},
                   {"item_id": "site.sanitation", "points": sanitation},
                   {"item_id": "site.ledgers", "points": rng.randint(2, 5)},
                   {"item_id": "remarks", "text": "现场检查 / checked on site"}]
        for item in MEASURED:
            reported = self.reports.get((unit, item))
            if reported is None:
                answers.append({"item_id": item, "result": "na"})
                continue
            off = rng.random() < 0.2  # a fifth of the figures do not hold up
            factor = rng.uniform(0.7, 0.85) if off else rng.uniform(0.99, 1.01)
            value = reported * factor if item != "sc_safety_incidents" else \
                reported + (1 if off else 0)
            answers.append({"item_id": item, "value": round(value, 2)})
        findings = []
        if fire == "fail":
            findings.append({"ref": "F-fire", "severity": "critical",
                             "item_id": "site.fire_exits",
                             "description": "消防通道被杂物堵塞 / fire exit blocked"})
        if hall == "fail":
            findings.append({"ref": "F-hall", "severity": "major",
                             "item_id": "site.service_hall",
                             "description": "窗口无人值守 / counter unattended"})
        if sanitation <= 5:
            findings.append({"ref": "F-clean", "severity": "minor",
                             "item_id": "site.sanitation",
                             "description": "院内垃圾未清理 / litter in the yard"})
        return answers, findings

    def visit(self, visit: dict[str, Any], unit: dict[str, Any], index: int) -> dict:
        self.check_in(visit, unit, index)
        answers, findings = self.answers(unit["code"])
        measured = {a["item_id"] for a in answers if a.get("result") != "na"}
        if "sc_investment" in measured:
            self.photo(visit["id"], "sc_investment")
        for finding in findings:
            self.photo(visit["id"], finding["item_id"], finding["ref"])
        body = {"client_uuid": str(uuid.uuid4()), "answers": answers, "findings": findings}
        result = self.inspector.post_json(f"/api/v1/visits/{visit['id']}/submit", body)
        result["_body"] = body
        return result


def run(ctx: DemoContext) -> None:
    ctx.section("Inspection: June spot checks (明查暗访), findings and rectification")
    started = utcnow()
    rng = random.Random(2026)
    units = _units(ctx)
    by_code = {u["code"]: u for u in units}
    reports = _self_reports(ctx)
    field = Field(ctx, reports, rng)
    planner = field.planner
    checklist = planner.post_json("/api/v1/checklists", CHECKLIST)
    unannounced, open_plan = _plans(ctx, planner, checklist, units)
    _show_hidden_until_check_in(ctx, field, unannounced, by_code)

    results = []
    for plan in (unannounced, open_plan):
        for index, visit in enumerate(planner.get_json(f"/api/v1/plans/{plan['id']}/visits")):
            if visit["status"] == "scheduled":
                results.append(field.visit(visit, by_code[visit["unit"]], index))
            elif visit["status"] == "checked_in":  # the one checked in to show visibility
                answers, findings = field.answers(visit["unit"])
                answers = [a if a["item_id"] != "sc_investment" else
                           {"item_id": "sc_investment", "result": "na"} for a in answers]
                body = {"client_uuid": str(uuid.uuid4()), "answers": answers, "findings": []}
                results.append({**field.inspector.post_json(
                    f"/api/v1/visits/{visit['id']}/submit", body), "_body": body})
    _show_idempotency(ctx, field, results[1])
    _review(ctx, field, results)
    _orders(ctx, field, results)
    _report(ctx, field)
    ctx.state["inspection_window"] = WINDOW
    ctx.say(f"  {len(results)} visits, {field.photos} photos uploaded with SHA-256 in "
            f"{(utcnow() - started).total_seconds():.1f} s")


def _location(unit: dict) -> dict:
    """The registered location when the registry has both coordinates (the plan refuses
    half of one); otherwise none, and check-in asks the registry again."""
    if unit.get("lat") is None or unit.get("lon") is None:
        return {}
    return {"lat": unit["lat"], "lon": unit["lon"]}


def _plans(ctx, planner, checklist, units):
    frame = [{"unit": u["code"], "stratum": u["peer_group"], **_location(u)} for u in units]
    sizes = _sizes(units, UNANNOUNCED)
    unannounced = planner.post_json("/api/v1/plans", {
        "name": "六月暗访 / June unannounced checks", "kind": "unannounced",
        "template_id": checklist["id"], "window_from": WINDOW[0], "window_to": WINDOW[1],
        "self_check_period": SELF_CHECK_MONTH, "inspectors": [INSPECTOR],
        "draw": {"frame": frame, "sizes": sizes, "seed": DRAW_SEED}})
    check = planner.get_json(f"/api/v1/plans/{unannounced['id']}/draw-check")
    targets = [u for u in units if u.get("kind") == "township"][:12] + \
        [u for u in units if u.get("kind") != "township"][:OPEN]
    open_plan = planner.post_json("/api/v1/plans", {
        "name": "六月明查 / June open checks", "kind": "open", "template_id": checklist["id"],
        "window_from": WINDOW[0], "window_to": WINDOW[1], "self_check_period": SELF_CHECK_MONTH,
        "inspectors": [INSPECTOR],
        "targets": [{"unit": u["code"], **_location(u)} for u in targets[:OPEN]]})
    ctx.say(f"  checklist {checklist['code']} v{checklist['version']} "
            f"({len(checklist['items'])} items, rule {checklist['scoring_rule_version']}); "
            f"unannounced plan #{unannounced['id']}: {unannounced['visits']} units drawn from "
            f"{len(frame)} in {len(sizes)} peer groups, seed {unannounced['draw']['seed']}, "
            f"re-check {'matches' if check['matches'] else 'DIFFERS'}; "
            f"open plan #{open_plan['id']}: {open_plan['visits']} units by hand")
    return unannounced, open_plan


def _status(call) -> int:
    try:
        call()
    except ServiceError as exc:
        return exc.status
    return 200


def _show_hidden_until_check_in(ctx, field, plan, by_code) -> None:
    visits = field.planner.get_json(f"/api/v1/plans/{plan['id']}/visits")
    located = [v for v in visits if _location(by_code[v["unit"]])]
    visit = (located or visits)[0]
    unit = field.ctx.client("inspection", "unit", visit["unit"])
    before = (_status(lambda: unit.get_json(f"/api/v1/plans/{plan['id']}")),
              _status(lambda: unit.get_json(f"/api/v1/visits/{visit['id']}")))
    checkin = field.check_in(visit, by_code[visit["unit"]], 0)["checkin"]
    after = (_status(lambda: unit.get_json(f"/api/v1/plans/{plan['id']}")),
             _status(lambda: unit.get_json(f"/api/v1/visits/{visit['id']}")))
    distance = "unknown" if checkin["distance_m"] is None else f"{checkin['distance_m']:.0f} m"
    ctx.say(f"  unit {visit['unit']} token on the unannounced plan / its visit: "
            f"{before[0]}/{before[1]} before check-in, {after[0]}/{after[1]} after "
            f"(distance from the registered location {distance}, flags {checkin['flags']})")


def _show_idempotency(ctx, field, result) -> None:
    body = result["_body"]
    path = f"/api/v1/visits/{result['id']}/submit"
    again = field.inspector.post_json(path, body)
    altered = {**body, "answers": [{**a, "points": 0} if a["item_id"] == "site.ledgers" else a
                                   for a in body["answers"]]}
    status = _status(lambda: field.inspector.post_json(path, altered))
    ctx.say(f"  replayed submission of visit {result['id']}: same version "
            f"{again['version']['version']} and score {again['score']:.1f}; "
            f"same UUID with a changed answer: {status}")


def _review(ctx, field, results) -> None:
    returned = results[2]
    field.planner.post_json(f"/api/v1/visits/{returned['id']}/review",
                            {"decision": "return", "comment": "请补充台账核查 / check ledgers"})
    body = {**returned["_body"], "client_uuid": str(uuid.uuid4()),
            "reason": "补充台账核查后更正 / ledgers re-checked"}
    amended = field.inspector.post_json(f"/api/v1/visits/{returned['id']}/amend", body)
    for result in results:
        field.planner.post_json(f"/api/v1/visits/{result['id']}/review",
                                {"decision": "approve"})
    ctx.say(f"  reviews: {len(results)} approved; visit {returned['id']} was returned with a "
            f"comment first and amended to version {amended['version']['version']} with a reason")


def _orders(ctx, field, results) -> None:
    today = county_today()
    findings = [f for r in results for f in r["version"]["findings"]
                if f["severity"] in ("critical", "major")]
    orders = []
    for index, finding in enumerate(findings):
        deadline = today - timedelta(days=5) if index == 0 else today + timedelta(days=14)
        # The inspector who found it issues the order, so may verify or reject the fix.
        orders.append(field.inspector.post_json("/api/v1/orders", {
            "finding_id": finding["id"], "deadline": deadline.isoformat(),
            "instructions": f"限期整改：{finding['description']}"}))
    closed = rejected = 0
    for index, order in enumerate(orders[1:], start=1):
        if index % 4 == 3:
            continue  # not answered yet, still within its deadline
        unit = ctx.client("inspection", "unit", order["unit"])
        evidence = _order_evidence(unit, order["id"], index)
        unit.post_json(f"/api/v1/orders/{order['id']}/submit",
                       {"note": "已整改 / fixed", "attachment_ids": [evidence]})
        if index % 5 == 1:
            field.inspector.post_json(f"/api/v1/orders/{order['id']}/reject",
                                      {"reason": "照片不能说明整改 / photo does not show the fix"})
            rejected += 1
            evidence = _order_evidence(unit, order["id"], index + 1000)
            unit.post_json(f"/api/v1/orders/{order['id']}/submit",
                           {"note": "补充照片 / new photo", "attachment_ids": [evidence]})
        field.inspector.post_json(f"/api/v1/orders/{order['id']}/verify", {"note": "现场复核"})
        closed += 1
    follow_up = _link_follow_up(field, orders, results)
    ctx.say(f"  {len(orders)} rectification orders from critical/major findings: {closed} "
            f"closed after the units' evidence ({rejected} rejected once and reopened first)"
            + (f"; order {follow_up[0]} linked to follow-up visit {follow_up[1]}"
               if follow_up else ""))


def _link_follow_up(field, orders, results) -> tuple[int, int] | None:
    """Link an order to another visit of the same unit (the open plan's, say)."""
    for order in orders:
        later = [r["id"] for r in results if r["unit"] == order["unit"]
                 and r["id"] != order["visit_id"]]
        if later:
            field.planner.post_json(f"/api/v1/orders/{order['id']}/follow-up",
                                    {"visit_id": later[0]})
            return order["id"], later[0]
    return None


def _order_evidence(unit, order_id: int, seed: int) -> int:
    content = png(64, 48, 10_000 + seed)
    declared = unit.post_json(f"/api/v1/orders/{order_id}/attachments", {
        "kind": "photo", "filename": f"fixed-{order_id}.png", "content_type": "image/png",
        "size": len(content), "sha256": hashlib.sha256(content).hexdigest()})
    unit.request("PUT", f"/api/v1/orders/{order_id}/attachments/{declared['id']}/content",
                 data=content, headers={"Content-Type": "image/png"})
    return declared["id"]


def _report(ctx, field) -> None:
    analyst = ctx.client("inspection", "analyst")
    window = f"from={WINDOW[0]}&to={WINDOW[1]}"
    scores = analyst.get_json(f"/api/v1/unit-scores?{window}")
    ctx.say(f"  visit scores per unit, June (0-100; mean, n{', sd' if scores else ''}):")
    cells = [f"{r['unit']:<5}{r['mean']:5.1f} n={r['n']}"
             + (f" sd={r['sd']:4.1f}" if r["sd"] is not None else "") for r in scores]
    for start in range(0, len(cells), 5):
        ctx.say("    " + "  ".join(f"{c:<20}" for c in cells[start:start + 5]))
    rates = analyst.get_json(f"/api/v1/discrepancy-rates?{window}")
    bad = [r for r in rates if r["discrepant"]]
    checked = sum(r["checked"] for r in rates)
    ctx.say(f"  discrepancies self-report vs inspection: {sum(r['discrepant'] for r in rates)} "
            f"of {checked} measured figures, in {len(bad)} units: "
            + ", ".join(f"{r['unit']} {r['discrepant']}/{r['checked']}" for r in bad[:12])
            + (" …" if len(bad) > 12 else ""))
    overdue = field.planner.get_json("/api/v1/orders/overdue")
    ctx.say("  overdue rectification orders:")
    for row in overdue:
        ctx.say(f"    order {row['id']} unit {row['unit']} deadline {row['deadline']} "
                f"({row['days_overdue']} days overdue, {row['state']}): {row['instructions']}")
    rates = field.planner.get_json("/api/v1/orders/closure-rates")
    due = sum(r["due"] for r in rates)
    on_time = sum(r["closed_on_time"] for r in rates)
    ctx.say(f"  on-time closure: {on_time} of {due} orders due "
            f"({on_time / due:.0%})" if due else "  on-time closure: no orders due yet")
    chain = ctx.client("inspection", "admin").get_json("/api/v1/audit/verify")
    ctx.say(f"  audit log: {chain['entries']} hash-chained entries, "
            f"{'intact' if chain['ok'] else 'BROKEN at ' + str(chain['broken_seq'])} "
            f"(`kaoping audit verify`)")
    for name, path in (("inspection_visit_scores_2026-06.xlsx",
                        f"/api/v1/visit-scores?{window}&format=xlsx"),
                       ("inspection_discrepancies_2026-06.csv",
                        f"/api/v1/discrepancies?{window}&format=csv"),
                       ("inspection_overdue_orders.csv", "/api/v1/orders/overdue?format=csv")):
        ctx.save(name, field.planner.request("GET", path).content)
