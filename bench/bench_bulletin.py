"""The quarterly bulletin of the demo county (118 units) as PDF (issue 16).

Throw-away SQLite, the scoring app served on a loopback port, the demo county loaded
through its API, survey and inspection endpoints that speak the documented contracts
(``bench_midyear_run.contract_sources`` plus the poll, AAPOR rates, finding counts,
order closure and overdue endpoints the bulletin reads). Two quarterly runs (2026-Q1,
2026-Q2; 2 polls, 2,000 draws) are published; then, over HTTP:

  make     POST /api/v1/documents (bulletin 2026-Q2, zh): read the sources, build the
           content and 14 matplotlib charts, HTML, WeasyPrint PDF, store (each repeat
           replaces the previous document, so every one is made afresh);
  verify   POST /api/v1/documents/{id}/verify: render again from the stored run and
           sources and compare the bytes (the rendering alone, no source reads).

Prints medians of ``--repeat`` runs (default 3), the PDF's pages and size.

    .venv/bin/python bench/bench_bulletin.py [--repeat N]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests  # noqa: E402
from bench_midyear_run import (  # noqa: E402
    _TMP,
    HttpLoader,
    contract_sources,
    demo_scheme,
    median_time,
)
from flask import jsonify  # noqa: E402

from services.demo.county import generate, load_through_api  # noqa: E402
from services.scoring.app import create_app  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.migrations import service_migrations_dir, upgrade  # noqa: E402
from tests.support import serving  # noqa: E402


def bulletin_sources(townships: list[str], units: list[str]):
    app = contract_sources(townships, units)

    @app.get("/api/v1/polls/<int:poll_id>")
    def poll(poll_id):
        return jsonify({"id": poll_id, "name_zh": f"群众满意度调查 {poll_id}",
                        "name_en": f"Poll {poll_id}", "modes": ["web", "phone"],
                        "field_start": "2026-05-01", "field_end": "2026-06-15"})

    @app.get("/api/v1/polls/<int:poll_id>/outcome-rates")
    def rates(poll_id):
        entry = {"RR1": 0.31, "RR2": 0.33, "RR3": 0.36, "COOP1": 0.6, "REF1": 0.12,
                 "CON1": 0.7}
        return jsonify({"poll_id": poll_id, "overall": {"township": None, "rates": entry},
                        "townships": [{"township": t, "rates": entry} for t in townships]})

    @app.get("/api/v1/finding-counts")
    def findings():
        return jsonify([{"unit": u, "visits": 2, "minor": i % 3, "major": i % 2,
                         "critical": 0, "findings": i % 3 + i % 2}
                        for i, u in enumerate(units) if i % 2 == 0])

    @app.get("/api/v1/orders/closure-rates")
    def closure():
        return jsonify([{"unit": u, "orders": 2, "due": 2, "closed": 2,
                         "closed_on_time": 1 + i % 2, "rate": (1 + i % 2) / 2}
                        for i, u in enumerate(units) if i % 3 == 0])

    @app.get("/api/v1/orders/overdue")
    def overdue():
        return jsonify([{"id": i, "unit": u, "visit_id": i, "finding_id": i,
                         "deadline": "2026-06-20", "days_overdue": 11, "state": "issued",
                         "instructions": "x"} for i, u in enumerate(units[:8])])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    engine = make_engine(f"sqlite:///{_TMP / 'scoring.sqlite3'}")
    upgrade(engine, service_migrations_dir("scoring"))
    county = generate(2026)
    county.scheme = demo_scheme(county)
    sources = bulletin_sources(county.townships, [u["code"] for u in county.units])
    with serving(sources) as sources_url:
        app = create_app({"ENGINE": engine, "SURVEY_URL": sources_url,
                          "INSPECTION_URL": sources_url})
        with serving(app) as base:
            token = issue_token("bench", "planner")
            loaded = load_through_api(county, HttpLoader(base, token))
            headers = {"Authorization": f"Bearer {token}"}

            def post(path, body=None):
                response = requests.post(base + path, json=body, headers=headers, timeout=300)
                response.raise_for_status()
                return response.json()

            for period in ("2026-Q1", "2026-Q2"):
                run = post("/api/v1/runs", {"scheme_version_id": loaded["scheme_version_id"],
                                            "period": period, "kind": "quarterly", "seed": 7,
                                            "polls": [1, 2], "draws": 2000})
                post(f"/api/v1/runs/{run['id']}/publish")
            post("/api/v1/documents", {"kind": "bulletin", "period": "2026-Q2"})  # warm-up
            last: dict = {}

            def make():
                current = requests.get(f"{base}/api/v1/documents?state=current",
                                       headers=headers, timeout=60).json()[0]
                last.update(post("/api/v1/documents", {
                    "kind": "bulletin", "period": "2026-Q2", "replaces": current["id"],
                    "reason": "bench"}))

            make_s, _ = median_time(make, args.repeat)
            verify_s, check = median_time(
                lambda: post(f"/api/v1/documents/{last['id']}/verify"), args.repeat)
            assert check["reproduced"], check
    print(f"# bench_bulletin  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
          f"{platform.machine()} {os.cpu_count()} CPUs  Python {platform.python_version()}")
    print(f"demo county: {run['units']} units; quarterly bulletin 2026-Q2 (zh), "
          f"{last['pages']} pages, {last['pdf_bytes']:,} bytes; median of {args.repeat}")
    print(f"  make over HTTP (sources + content + charts + PDF + store)  {make_s:7.2f} s")
    print(f"  verify over HTTP (render again from the record, compare)   {verify_s:7.2f} s")


if __name__ == "__main__":
    main()
