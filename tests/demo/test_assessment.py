"""The mid-year assessment step: a run of the demo county, its rankings, the check that
it re-runs bit for bit, its exports and its publication."""

import re

from services.demo import assessment
from services.demo.county import FlaskClientLoader, generate, load_through_api
from tests.support import serving


def test_the_run_is_ranked_reproduced_and_published(make_app, auth, demo_context, tmp_path,
                                                    capsys):
    with serving(make_app("survey")) as survey_url, \
            serving(make_app("inspection")) as inspection_url:
        scoring = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
        loaded = load_through_api(generate(2026), FlaskClientLoader(scoring.test_client(),
                                                                    auth("planner")))
        with serving(scoring) as scoring_url:
            ctx = demo_context(scoring=scoring_url)
            ctx.state.update(scheme_version_id=loaded["scheme_version_id"], period="2026-H1")
            assessment.run(ctx)
    out = capsys.readouterr().out
    run_id = ctx.state["midyear_run_id"]
    assert f"  run {run_id}: 118 units, polls none" in out
    assert "TS: 12 units, 2 advanced seat(s)" in out
    tables = re.findall(r"^  (\w+): \d+ units, \d+ advanced seat", out, re.MULTILINE)
    assert tables[0] == "TS" and len(tables) == 1 + assessment.SHOWN_DEPARTMENT_GROUPS
    assert "reproduced=True" in out and "0 differences" in out
    assert f"published run {run_id} at " in out and "frozen=True" in out
    assert (tmp_path / "midyear_2026-H1_ranking.xlsx").stat().st_size > 0
    ranking = (tmp_path / "midyear_2026-H1_ranking.csv").read_text(encoding="utf-8-sig")
    assert len(ranking.splitlines()) == 1 + 118


def test_without_a_scheme_there_is_nothing_to_assess(demo_context, capsys):
    assessment.run(demo_context())
    assert "nothing to assess" in capsys.readouterr().out
