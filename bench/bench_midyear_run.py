"""Full mid-year run over HTTP on the demo county (issue 7).

Sets up throw-away SQLite databases, serves the scoring app on a loopback port, loads
the demo county (118 units, six months of self-checks, key tasks, direct values)
through its bulk-import API, and serves survey and inspection endpoints that speak the
documented contracts (docs/CONTRACTS.md) with synthetic estimates for two polls and
inspection scores for every unit and window. Then it times, over HTTP:

  run        POST /api/v1/runs (mid-year 2026-H1, 2 polls, 2,000 draws): pulls 2 polls and
             3 inspection windows, reads self-checks/key tasks/direct values, snapshots,
             scores 2 quarters and the half-year, blends, stores 118 results;
  recompute  POST /api/v1/runs/{id}/recompute: the same computation from the stored
             snapshot, compared number by number (baseline without input collection);
  engine     the computation alone in-process (baseline without HTTP and database).

Prints medians of ``--repeat`` runs (default 5).

    .venv/bin/python bench/bench_midyear_run.py [--repeat N] [--draws D]
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_TMP = Path(tempfile.mkdtemp(prefix="kaoping-bench-run-"))
os.environ.setdefault("KAOPING_VAR_DIR", str(_TMP / "var"))
os.environ.setdefault("KAOPING_ENV", "test")
os.environ.setdefault("KAOPING_LOG_LEVEL", "WARNING")

import requests  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402

from services.demo.county import generate, load_through_api  # noqa: E402
from services.scoring.app import create_app  # noqa: E402
from services.scoring.assessment import compute_snapshot  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.migrations import service_migrations_dir, upgrade  # noqa: E402
from tests.support import serving  # noqa: E402


def contract_sources(townships: list[str], units: list[str]) -> Flask:
    """Survey and inspection endpoints with synthetic, deterministic numbers."""
    app = Flask("bench-sources")

    @app.get("/api/v1/polls/<int:poll_id>/estimates")
    def estimates(poll_id):
        rows = [{"township": t, "question": "sat", "statistic": "satisfaction_rate",
                 "category": None, "estimate": 0.55 + 0.03 * i + 0.01 * poll_id,
                 "se": 0.04 + 0.002 * i, "ci_low": None, "ci_high": None, "n": 150,
                 "n_eff": 110.0, "deff": 1.36} for i, t in enumerate(townships)]
        return jsonify({"poll_id": poll_id, "method": {}, "rows": rows})

    @app.get("/api/v1/unit-scores")
    def unit_scores():
        month = int(request.args["from"][5:7])
        return jsonify([{"unit": u, "n": 4, "mean": 65 + (i * 7 + month) % 30, "sd": 5.0,
                         "min": 55, "max": 99} for i, u in enumerate(units)])

    @app.get("/api/v1/discrepancy-rates")
    def discrepancy_rates():
        return jsonify([{"unit": u, "checked": 10, "discrepant": i % 3, "rate": (i % 3) / 10}
                        for i, u in enumerate(units)])

    return app


class HttpLoader:
    def __init__(self, base: str, token: str):
        self.base, self.headers = base, {"Authorization": f"Bearer {token}"}

    def _check(self, response):
        response.raise_for_status()
        return response.json()

    def post_json(self, path, payload):
        return self._check(requests.post(self.base + path, json=payload, headers=self.headers,
                                         timeout=120))

    def upload(self, path, filename, content):
        return self._check(requests.post(self.base + path, files={"file": (filename, content)},
                                         headers=self.headers, timeout=120))


def demo_scheme(county) -> dict:
    """The demo scheme with kt_lag T-scored: the engine refuses robust z under the
    geometric key-task node (reported to the scheme's owner)."""
    scheme = copy.deepcopy(county.scheme)
    for dimension in scheme["root"]["children"]:
        for leaf in dimension["children"]:
            if leaf["id"] == "kt_lag":
                leaf["normalisation"] = {"method": "tscore"}
    return scheme


def median_time(func, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--draws", type=int, default=2000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    engine = make_engine(f"sqlite:///{_TMP / 'scoring.sqlite3'}")
    upgrade(engine, service_migrations_dir("scoring"))
    county = generate(2026)
    county.scheme = demo_scheme(county)
    sources_app = contract_sources(county.townships, [u["code"] for u in county.units])
    with serving(sources_app) as sources_url:
        app = create_app({"ENGINE": engine, "SURVEY_URL": sources_url,
                          "INSPECTION_URL": sources_url})
        with serving(app) as base:
            token = issue_token("bench", "planner")
            started = time.perf_counter()
            loaded = load_through_api(county, HttpLoader(base, token))
            load_s = time.perf_counter() - started
            headers = {"Authorization": f"Bearer {token}"}
            body = {"scheme_version_id": loaded["scheme_version_id"], "period": "2026-H1",
                    "kind": "mid-year", "seed": 7, "polls": [1, 2], "draws": args.draws}

            def run():
                response = requests.post(f"{base}/api/v1/runs", json=body, headers=headers,
                                         timeout=300)
                response.raise_for_status()
                return response.json()

            run_s, last = median_time(run, args.repeat)

            def recompute():
                response = requests.post(f"{base}/api/v1/runs/{last['id']}/recompute",
                                         headers=headers, timeout=300)
                response.raise_for_status()
                assert response.json()["reproduced"], response.json()
                return response.json()

            recompute_s, _ = median_time(recompute, args.repeat)
            inputs = requests.get(f"{base}/api/v1/runs/{last['id']}/inputs", headers=headers,
                                  timeout=60).json()
            engine_s, computed = median_time(lambda: compute_snapshot(inputs, last["options"]),
                                             args.repeat)
            assert computed.results_sha256 == last["results_sha256"]
    print(f"# bench_midyear_run  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
          f"{platform.machine()} {os.cpu_count()} CPUs  Python {platform.python_version()}")
    print(f"demo county: {last['units']} units, load through the API {load_s:.1f} s; "
          f"mid-year 2026-H1, 2 polls, {args.draws} draws, median of {args.repeat}")
    print(f"  full run over HTTP (collect + snapshot + compute + store)  {run_s:7.3f} s")
    print(f"  recompute over HTTP (stored snapshot, compare)             {recompute_s:7.3f} s")
    print(f"  engine alone in-process (3 segments + blend)               {engine_s:7.3f} s")


if __name__ == "__main__":
    main()
