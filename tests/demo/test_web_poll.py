"""The web poll step runs against served apps and prints the township table."""

from services.demo import web_poll
from tests.support import serving


def test_demo_step_prints_the_township_table(make_app, scoring_url, demo_context, tmp_path,
                                             monkeypatch, capsys):
    survey = make_app("survey", SCORING_URL=scoring_url)
    monkeypatch.setattr(web_poll, "LINKS", 24)
    with serving(survey) as survey_url:
        ctx = demo_context(survey=survey_url, scoring=scoring_url)
        web_poll.run(ctx)
    out = capsys.readouterr().out
    table = [line.split() for line in out.splitlines() if line.strip().startswith(("T0", "ALL"))]
    assert [row[0] for row in table] == ["T01", "T02", "ALL"]
    assert all(0 < float(row[2]) <= int(row[1]) for row in table)      # n_eff <= n
    assert "24 one-time links" in out and "margins used: " in out and "sex" in out
    assert isinstance(ctx.state["web_poll_id"], int)
    saved = (tmp_path / "survey-web-estimates.csv").read_text(encoding="utf-8-sig")
    assert saved.startswith("township,question,statistic,category,estimate,se")
