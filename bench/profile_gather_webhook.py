"""Profile of the Gather webhook in process: CPU per request of the survey app (lean
WSGI path in front, and the Flask view's own path) and where it goes (cProfile).

Uses the database ``bench_gather_webhook.py`` prepared (``<BENCH_PG_URL>_template``,
copied to ``<BENCH_PG_URL>_profile`` here), sends ``REQUESTS`` signed keypad answers
through a werkzeug test client (no HTTP server: what is left is the app's own work and
the client's request building), alternating the two paths in ``ROUNDS`` rounds.

    BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kp_bench_x \\
        .venv/bin/python bench/profile_gather_webhook.py [--profile lean|view]
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
REQUESTS = int(os.environ.get("REQUESTS", 500))
ROUNDS = int(os.environ.get("ROUNDS", 3))
PG_URL = os.environ.get("BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_bench_gather")
PUBLIC = "http://127.0.0.1:5001"


def main() -> None:
    os.environ.setdefault("KAOPING_VAR_DIR", tempfile.mkdtemp(prefix="profile-gather-"))
    os.environ.setdefault("KAOPING_ENV", "test")
    from bench_gather_webhook import TOKEN, copy_database, gather_jobs

    url = PG_URL + "_profile"
    copy_database(PG_URL + "_template", url)
    os.environ.update(SURVEY_DATABASE_URL=url, TWILIO_AUTH_TOKEN=TOKEN,
                      PUBLIC_BASE_URL=PUBLIC, KAOPING_LOG_LEVEL="WARNING")
    from werkzeug.test import Client

    from services.survey.app import create_app

    app = create_app()
    client = Client(app)
    profile = sys.argv[2] if len(sys.argv) > 2 and sys.argv[1] == "--profile" else None
    attempts = iter(range(1, 10**9))
    spent: dict[str, list[float]] = {"lean": [], "view": [], "healthz": []}
    for _ in range(ROUNDS):
        for kind in ("healthz", "lean", "view"):
            app.config["TELEPHONY_LEAN_GATHER"] = kind == "lean"
            jobs = ([("GET", f"{PUBLIC}/healthz", None, {})] * REQUESTS if kind == "healthz"
                    else gather_jobs(5001, [next(attempts) for _ in range(REQUESTS)]))
            prepared = [(method, target.removeprefix(PUBLIC), data, headers)
                        for method, target, data, headers in jobs]
            profiler = cProfile.Profile() if kind == profile else None
            began = time.process_time()
            if profiler:
                profiler.enable()
            for method, path, data, headers in prepared:
                response = client.open(path, method=method, data=data, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
                profile = None
            spent[kind].append(1000 * (time.process_time() - began) / REQUESTS)
    for kind, values in spent.items():
        print(f"{kind:<8} CPU per request in process: median {statistics.median(values):.3f} ms "
              f"(rounds: {', '.join(f'{v:.3f}' for v in values)})")


if __name__ == "__main__":
    main()
