"""Starting a score run in the run tests (the county and the stub sources are
conftest.py's fixtures)."""

from __future__ import annotations

DRAWS = 200


def start_run(client, auth, county, headers=None, **extra):
    """POST a mid-year 2026-H1 run of the county's scheme with both polls (seed 11,
    ``DRAWS`` draws); ``extra`` overrides the body."""
    body = {"scheme_version_id": county["scheme_version_id"], "period": "2026-H1",
            "kind": "mid-year", "seed": 11, "polls": [1, 2], "draws": DRAWS, **extra}
    return client.post("/api/v1/runs", json=body, headers={**auth("planner"), **(headers or {})})
