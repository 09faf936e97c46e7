"""``kaoping demo`` step: the mid-year assessment run, its rankings and its publication.

Starts a mid-year run for ``ctx.state["period"]`` (2026-H1) under the scheme version the
scoring step loaded, with the web and telephone polls of the survey steps; scoring
pulls the poll estimates and the inspection scores itself. Prints the ranking with
composite, 90% interval, rank interval and P(advanced) of the township group and of the
two department groups whose ranks are least certain, and the awarded "advanced" units
of every group; checks that the stored run re-runs bit for bit; saves the CSV and XLSX
exports and a unit's breakdown; publishes the run (which freezes the scheme version).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict

from services.demo.context import DemoContext
from services.scoring.run_cli import print_ranking
from shared.client import ServiceError

SHOWN_DEPARTMENT_GROUPS = 2


def run(ctx: DemoContext) -> None:
    period = ctx.state.get("period", "2026-H1")
    ctx.section(f"Mid-year assessment {period}: composite scores, rankings, 'advanced' awards")
    if "scheme_version_id" not in ctx.state:
        ctx.say("  (no scheme loaded by the scoring step; nothing to assess)")
        return
    polls = [p for p in (ctx.state.get("web_poll_id"), ctx.state.get("phone_poll_id")) if p]
    planner = ctx.client("scoring", "planner")
    started = time.monotonic()
    run_ = _start(ctx, planner, period, polls)
    if run_ is None:
        return
    elapsed = time.monotonic() - started
    ctx.state["midyear_run_id"] = run_["id"]
    blend = run_["method"]["blend"]
    sources = ", ".join(f"{k} {v['status']}" for k, v in sorted(run_["sources"].items()))
    ctx.say(f"  run {run_['id']}: {run_['units']} units, polls {polls or 'none'} ({sources}); "
            f"{run_['options']['draws']} Monte Carlo draws, seed {run_['seed']}; "
            f"{elapsed:.1f} s over HTTP")
    ctx.say("  polls pooled by inverse variance and shrunk to the group mean (Fay-Herriot "
            "REML); inspection discrepancies discount self-check weights")
    ctx.say(f"  composite = {blend['day_to_day']} × day-to-day (mean of "
            f"{' and '.join(blend['day_to_day_periods'])}) + {blend['snapshot']} × the "
            f"{blend['snapshot_period']} assessment  [{blend['named_weighting']}: "
            "注重平时，淡化年终]")
    rows = planner.get_json(f"/api/v1/runs/{run_['id']}/ranking")
    by_group = defaultdict(list)
    for row in rows:
        by_group[row["peer_group"]].append(row)
    seats = run_["method"]["final"]["seats"] or {}
    for group in ("TS", *_most_uncertain(by_group, SHOWN_DEPARTMENT_GROUPS)):
        if group in by_group:
            print_ranking(by_group[group], ctx.say,
                          title=f"{group}: {len(by_group[group])} units, "
                                f"{seats.get(group, 0)} advanced seat(s)")
    ctx.say("  advanced units per peer group (★ awarded; ~ near the cut-off, 0.2 ≤ P ≤ 0.8):")
    for group in sorted(by_group):
        awarded = [f"{r['unit']} {r['name_zh']} ({r['p_advanced']:.2f})"
                   for r in by_group[group] if r["advanced"]]
        near = [r["unit"] for r in by_group[group] if r["near_cutoff"] and not r["advanced"]]
        ctx.say(f"    {group:<3} {'; '.join(awarded) or '-'}"
                + (f"   ~ {' '.join(near)}" if near else ""))
    _check_and_publish(ctx, planner, run_, rows)


def _most_uncertain(by_group: dict, count: int) -> list[str]:
    """The department groups with the most units whose rank is uncertain."""
    def spread(group: str) -> tuple:
        rows = by_group[group]
        return (-sum(r["rank_hi"] > r["rank_lo"] for r in rows if r["rank_lo"] is not None),
                group)

    return sorted((g for g in by_group if g != "TS"), key=spread)[:count]


def _start(ctx, planner, period: str, polls: list[int]) -> dict | None:
    body = {"scheme_version_id": ctx.state["scheme_version_id"], "period": period,
            "kind": "mid-year", "seed": 2026, "polls": polls, "draws": 2000,
            "missing_source": "skip", "fay_herriot": "REML",
            "credibility": {"mode": "weight", "slope": 1.0}}
    try:
        return planner.post_json("/api/v1/runs", body)
    except ServiceError as exc:
        ctx.say(f"  the run was refused: {exc.message}")
        return None


def _check_and_publish(ctx, planner, run_, rows) -> None:
    run_id = run_["id"]
    check = planner.post_json(f"/api/v1/runs/{run_id}/recompute", {})
    ctx.say(f"  re-run from the stored snapshot: reproduced={check['reproduced']} "
            f"(results sha256 {check['results_sha256'][:12]}…, "
            f"{check['difference_count']} differences)")
    top = rows[0]["unit"]
    unit = planner.get_json(f"/api/v1/runs/{run_id}/units/{top}")
    pulls = ", ".join(f"{i['indicator']} {i['pull']:+.1f}" for i in unit["indicators"][:3]
                      if i["pull"] is not None)
    ctx.say(f"  {top} {unit['name_zh']}: composite {unit['composite']:.2f} = sum of "
            f"contributions {unit['sum_of_contributions']:.2f}; pulled up most by {pulls}")
    stem = f"midyear_{run_['period']}"
    ctx.save(f"{stem}_ranking.csv",
             planner.request("GET", f"/api/v1/runs/{run_id}/ranking?format=csv").content)
    ctx.save(f"{stem}_ranking.xlsx",
             planner.request("GET", f"/api/v1/runs/{run_id}/ranking?format=xlsx").content)
    ctx.save(f"{stem}_{top}_breakdown.json", json.dumps(unit, ensure_ascii=False, indent=2))
    published = planner.post_json(f"/api/v1/runs/{run_id}/publish", {})
    version = planner.get_json(f"/api/v1/scheme-versions/{run_['scheme_version_id']}")
    ctx.say(f"  published run {run_id} at {published['published_at']}; scheme "
            f"{version['scheme']} v{version['version']} frozen={version['frozen']}; "
            f"exports saved as {stem}_ranking.csv/.xlsx")
