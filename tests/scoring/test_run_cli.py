"""``kaoping score run`` against a served scoring service."""

import io

from services.cli import main
from services.scoring.cli import print_sensitivity
from shared.auth import issue_token
from tests.support import serving


def test_score_run_prints_the_ranking_and_publishes(make_app, sources, county, capsys):
    survey_url, inspection_url, _log = sources
    app = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
    with serving(app) as url:
        code = main(["score", "run", "--kind", "mid-year", "--period", "2026-H1", "--poll", "1",
                     "--draws", "100", "--seed", "4", "--publish", "--url", url])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "run 1: mid-year 2026-H1, scheme county-2026 v1, seed 4" in out
        assert "peer group TS" in out and "peer group G02" in out
        assert out.count("★") == 7  # 20 % of 33 units: 7 seats
        assert "published; scheme version" in out
        refused = main(["score", "run", "--kind", "monthly", "--period", "2026-H1",
                        "--url", url])
        assert refused == 1
        assert "needs a month period" in capsys.readouterr().err


def test_score_run_sensitivity_prints_the_stored_report(make_app, sources, county, capsys):
    survey_url, inspection_url, _log = sources
    app = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
    with serving(app) as url:
        code = main(["score", "run", "--kind", "monthly", "--period", "2026-05", "--draws", "0",
                     "--seed", "4", "--sensitivity", "--url", url])
        out = capsys.readouterr().out
        assert code == 0, out
        client = app.test_client()
        headers = {"Authorization": "Bearer " + issue_token("t", "analyst")}
        run = client.get("/api/v1/runs", headers=headers).json[0]
        assert run["options"]["sensitivity"] is True
        report = client.get(f"/api/v1/runs/{run['id']}/sensitivity", headers=headers).json
    printed = io.StringIO()
    print_sensitivity(report, printed)
    assert printed.getvalue() in out
    assert "sensitivity (敏感性)" in out and "weighting=entropy" in out
    assert out.index("peer group") < out.index("sensitivity (敏感性)")


def test_score_run_prints_the_runs_warnings(make_app, sources, county, capsys):
    """Goalposts in raw units on a log-transformed indicator: the run's method record
    and the screen say that every value lies outside them."""
    survey_url, inspection_url, _log = sources
    app = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
    client = app.test_client()
    planner = {"Authorization": "Bearer " + issue_token("t", "planner")}
    document = client.get(f"/api/v1/scheme-versions/{county['scheme_version_id']}",
                          headers=planner).json["document"]
    for dimension in document["root"]["children"]:
        for leaf in dimension.get("children", []):
            if leaf["id"] == "sc_investment":
                leaf["normalisation"] = {"method": "goalposts", "min": 100, "max": 75000}
    version = client.post("/api/v1/schemes/county-2026/versions", json=document,
                          headers=planner).json["id"]
    with serving(app) as url:
        code = main(["score", "run", "--kind", "monthly", "--period", "2026-05", "--draws", "0",
                     "--seed", "4", "--scheme-version", str(version), "--url", url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    run = client.get("/api/v1/runs", headers=planner).json[0]
    warnings = client.get(f"/api/v1/runs/{run['id']}", headers=planner).json["method"][
        "warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(
        "2026-05: sc_investment: every value after the log transform lies outside the "
        "goalposts [100, 75000]")
    assert f"kaoping: warning: {warnings[0]}" in captured.err
