"""``kaoping demo`` step: load the demo county into scoring and print a one-screen summary.

Everything goes through the HTTP API's bulk imports (CSV uploads), as a county's
supervision office would load it. Leaves for later steps in ``ctx.state``:
``townships`` (codes), ``scheme_version_id``, ``period`` (``2026-H1``), ``units``.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections import Counter

from services.demo.context import DemoContext
from services.demo.county import MONTHS, ServiceClientLoader, generate, load_through_api
from shared.client import ServiceError

PERIOD = "2026-H1"


def run(ctx: DemoContext) -> None:
    ctx.section("Scoring: the county's registry, scheme, self-checks and key tasks")
    started = time.monotonic()
    county = generate(seed=2026)
    planner = ctx.client("scoring", "planner")
    result = load_through_api(county, ServiceClientLoader(planner))
    ctx.state.update(townships=county.townships, scheme_version_id=result["scheme_version_id"],
                     period=PERIOD, units=[u["code"] for u in county.units])
    analyst = ctx.client("scoring", "analyst")
    _print_groups(ctx, analyst)
    _print_months(ctx, analyst)
    _print_cross_unit_denial(ctx, county)
    ctx.save("scoring_scheme.json", json.dumps(county.scheme, ensure_ascii=False, indent=2))
    ctx.save("scoring_self_checks_2026-06.csv",
             planner.request("GET", "/api/v1/self-checks/export?period=2026-06").content)
    version = analyst.get_json("/api/v1/registry/version")
    ctx.say(f"  registry version {version['version']} (sha256 {version['sha256'][:12]}…), "
            f"scheme {result['scheme']} version id {result['scheme_version_id']}; "
            f"loaded in {time.monotonic() - started:.1f} s")


def _print_groups(ctx: DemoContext, analyst) -> None:
    units = analyst.get_json("/api/v1/units?active=true")
    groups = {g["code"]: g for g in analyst.get_json("/api/v1/peer-groups")}
    counts = Counter(u["peer_group"] for u in units)
    tasks = Counter(t["unit"] for t in analyst.get_json("/api/v1/key-tasks"))
    by_group_tasks = Counter()
    for unit in units:
        by_group_tasks[unit["peer_group"]] += tasks.get(unit["code"], 0)
    ctx.say(f"  {len(units)} units in {len(counts)} peer groups "
            f"({sum(tasks.values())} key tasks with monthly milestones):")
    cells = [f"{code} {groups[code]['name_zh']} {counts[code]}u/{by_group_tasks[code]}t"
             for code in sorted(counts)]
    for start in range(0, len(cells), 4):
        ctx.say("    " + "  ".join(_pad(c, 24) for c in cells[start:start + 4]))


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal where CJK characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def _print_months(ctx: DemoContext, analyst) -> None:
    months = analyst.get_json(f"/api/v1/self-checks/completeness?period={PERIOD}")["months"]
    ctx.say("  month    units reporting  values/expected  complete  late units  corrected  "
            "key-task milestones on time")
    for row in months:
        metrics = analyst.get_json(f"/api/v1/key-tasks/metrics?period={row['period']}")
        due = sum(m["milestones_due"] for m in metrics)
        on_time = sum(m["milestones_on_time"] for m in metrics)
        ctx.say(f"  {row['period']}  {row['units_reporting']:>5}/{row['units']:<9} "
                f"{row['values']:>6}/{row['expected_values']:<8} {row['completeness']:>8.1%} "
                f"{row['units_late']:>10} {row['corrected']:>10}  {on_time:>5}/{due:<4} "
                f"{on_time / due if due else 0:.1%}")
    half = analyst.get_json(f"/api/v1/key-tasks/metrics?period={PERIOD}")
    due = sum(m["milestones_due"] for m in half)
    on_time = sum(m["milestones_on_time"] for m in half)
    lags = [m["progress_lag"] for m in half if m["progress_lag"] is not None]
    ctx.say(f"  {PERIOD}: key-task milestones on time {on_time}/{due} = {on_time / due:.1%}; "
            f"mean progress lag {sum(lags) / len(lags):.1f} points over {len(half)} units")
    assert len(months) == len(MONTHS)


def _print_cross_unit_denial(ctx: DemoContext, county) -> None:
    unit = ctx.client("scoring", "unit", "T01")
    own = unit.get_json("/api/v1/self-checks?period=2026-06")
    try:
        unit.get_json("/api/v1/self-checks?unit=T02&period=2026-06")
        other = "allowed (unexpected)"
    except ServiceError as exc:
        other = f"denied ({exc.body.get('code')})"
    ctx.say(f"  a unit token for T01 reads its own {len(own)} values for 2026-06; "
            f"T02's are {other}")
