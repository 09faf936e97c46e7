"""``kaoping demo`` step: the office's paper — the Q2 quarterly bulletin and the mid-year
report as PDF, made by the scoring service from published runs.

Starts and publishes a quarterly 2026-Q2 run (same scheme, the same polls), then asks for
the bulletin of 2026-Q2 (ranking with changes against Q1 when there is one, poll
satisfaction with Wilson intervals and AAPOR rates, inspection findings, orders overdue,
self-checks, key tasks) and the mid-year report of the published mid-year run; writes
both PDFs to the output folder and prints their paths, pages, sizes and SHA-256, and
checks that each renders again to the same bytes (``/documents/{id}/verify``).
"""

from __future__ import annotations

import time

from services.demo.context import DemoContext
from shared.client import ServiceError


def run(ctx: DemoContext) -> None:
    ctx.section("Documents: the Q2 bulletin and the mid-year report as PDF")
    if "midyear_run_id" not in ctx.state:
        ctx.say("  (no published mid-year run; no document to make)")
        return
    planner = ctx.client("scoring", "planner")
    polls = [p for p in (ctx.state.get("web_poll_id"), ctx.state.get("phone_poll_id")) if p]
    quarter = _quarterly_run(ctx, planner, polls)
    wanted = [("midyear", ctx.state.get("period", "2026-H1"))]
    if quarter is not None:
        wanted.insert(0, ("bulletin", quarter["period"]))
    for kind, period in wanted:
        started = time.monotonic()
        try:
            doc = planner.post_json("/api/v1/documents", {
                "kind": kind, "period": period, "lang": "zh", "missing_source": "skip"})
        except ServiceError as exc:
            ctx.say(f"  the {kind} of {period} was refused: {exc.message}")
            continue
        elapsed = time.monotonic() - started
        pdf = planner.request("GET", f"/api/v1/documents/{doc['id']}/pdf").content
        path = ctx.save(f"{kind}_{period}.pdf", pdf)
        ctx.save(f"{kind}_{period}.html",
                 planner.request("GET", f"/api/v1/documents/{doc['id']}/html").content)
        check = planner.post_json(f"/api/v1/documents/{doc['id']}/verify", {})
        ctx.say(f"  {doc['title']}: document {doc['id']} of run {doc['run_id']}, "
                f"{doc['pages']} pages, {doc['pdf_bytes']:,} bytes, made in {elapsed:.1f} s; "
                f"renders again to the same bytes: {check['reproduced']}")
        ctx.say(f"    sha256 {doc['pdf_sha256']}")
        ctx.say(f"    {path}")
    ctx.say("  the same from the command line: kaoping report bulletin --period 2026-Q2 "
            "--out bulletin.pdf")


def _quarterly_run(ctx: DemoContext, planner, polls: list[int]) -> dict | None:
    midyear = planner.get_json(f"/api/v1/runs/{ctx.state['midyear_run_id']}")
    body = {"scheme_version_id": midyear["scheme_version_id"], "period": "2026-Q2",
            "kind": "quarterly", "seed": 2026, "polls": polls, "draws": 2000,
            "missing_source": "skip", "fay_herriot": "REML",
            "credibility": {"mode": "weight", "slope": 1.0}}
    try:
        quarter = planner.post_json("/api/v1/runs", body)
        planner.post_json(f"/api/v1/runs/{quarter['id']}/publish", {})
    except ServiceError as exc:
        ctx.say(f"  the quarterly run was refused: {exc.message}")
        return None
    ctx.say(f"  quarterly run {quarter['id']} of {quarter['period']} published "
            f"({quarter['units']} units)")
    return quarter
