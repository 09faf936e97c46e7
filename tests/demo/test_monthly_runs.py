"""The monthly runs step: a published run for each month of the half-year, read back as a
unit's months."""

import re

import pytest

from services.demo import monthly_runs
from services.demo.county import FlaskClientLoader, generate, load_through_api
from tests.support import serving


def test_a_published_run_per_month_of_the_half_year(make_app, auth, demo_context, capsys):
    with serving(make_app("survey")) as survey_url, \
            serving(make_app("inspection")) as inspection_url:
        scoring = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
        loaded = load_through_api(generate(2026), FlaskClientLoader(scoring.test_client(),
                                                                    auth("planner")))
        with serving(scoring) as scoring_url:
            ctx = demo_context(scoring=scoring_url)
            ctx.state.update(scheme_version_id=loaded["scheme_version_id"], period="2026-H1")
            monthly_runs.run(ctx)
    out = capsys.readouterr().out
    assert "6 monthly runs published" in out
    runs = scoring.test_client().get("/api/v1/runs", headers=auth("analyst"),
                                     query_string={"kind": "monthly", "state": "published"})
    assert sorted(r["period"] for r in runs.get_json()) == [f"2026-0{m}" for m in range(1, 7)]
    assert sorted(r["id"] for r in runs.get_json()) == ctx.state["monthly_run_ids"]
    shown = re.search(r"T01 month by month: (.*)", out).group(1).split(", ")
    assert [s.split()[0] for s in shown] == [f"2026-0{m}" for m in range(1, 7)]


def test_months_of_a_half_year_and_a_quarter():
    assert monthly_runs.months_of("2026-H2")[0] == "2026-07"
    assert monthly_runs.months_of("2026-Q2") == ["2026-04", "2026-05", "2026-06"]
    with pytest.raises(ValueError):
        monthly_runs.months_of("2026")


def test_without_a_scheme_there_is_nothing_to_run(demo_context, capsys):
    monthly_runs.run(demo_context())
    assert "nothing to run" in capsys.readouterr().out
