"""``kaoping demo`` step: the county's monthly runs (月度考评) of the half-year, published.

One run per month of ``ctx.state["period"]`` (2026-H1: January to June) under the scheme
version the scoring step loaded, from what the units reported that month (no polls: a
month's run reads the month's own inputs), each published. The portal's dashboard draws a
unit's composite and rank month by month from them (纵向比). They run before the
mid-year assessment, so that the quarterly and mid-year runs stay the newest published.
"""

from __future__ import annotations

import time

from services.demo.context import DemoContext
from shared.client import ServiceError

DRAWS = 500
SHOWN_UNIT = "T01"


def months_of(period: str) -> list[str]:
    """The months of a half-year (``2026-H1``) or of a quarter (``2026-Q2``)."""
    year, part = period[:4], period[5:]
    if part.startswith("H"):
        first, count = 1 + 6 * (int(part[1:]) - 1), 6
    elif part.startswith("Q"):
        first, count = 1 + 3 * (int(part[1:]) - 1), 3
    else:
        raise ValueError(f"not a half-year or a quarter: {period!r}")
    return [f"{year}-{month:02d}" for month in range(first, first + count)]


def run(ctx: DemoContext) -> None:
    period = ctx.state.get("period", "2026-H1")
    ctx.section(f"Monthly runs of {period} (月度考评), published")
    if "scheme_version_id" not in ctx.state:
        ctx.say("  (no scheme loaded by the scoring step; nothing to run)")
        return
    planner = ctx.client("scoring", "planner")
    started = time.monotonic()
    made = []
    for month in months_of(period):
        try:
            found = planner.post_json("/api/v1/runs", {
                "scheme_version_id": ctx.state["scheme_version_id"], "period": month,
                "kind": "monthly", "seed": 2026, "polls": [], "draws": DRAWS,
                "missing_source": "skip"})
        except ServiceError as exc:
            ctx.say(f"  {month}: the run was refused: {exc.message}")
            continue
        planner.post_json(f"/api/v1/runs/{found['id']}/publish", {})
        made.append((month, found["id"]))
    ctx.state["monthly_run_ids"] = [run_id for _month, run_id in made]
    ctx.say(f"  {len(made)} monthly runs published, {DRAWS} Monte Carlo draws each, "
            f"{time.monotonic() - started:.1f} s over HTTP")
    shown = []
    for month, run_id in made:
        unit = planner.get_json(f"/api/v1/runs/{run_id}/units/{SHOWN_UNIT}")
        shown.append(f"{month} {unit['composite']:.1f} (#{unit['rank']})")
    if shown:
        ctx.say(f"  {SHOWN_UNIT} month by month: " + ", ".join(shown))
