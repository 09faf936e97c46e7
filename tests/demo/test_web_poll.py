"""The demo step runs against served apps and prints the township table."""

from services.demo import web_poll as demo
from services.demo.steps import DemoContext
from tests.support import serving


def test_demo_step_prints_the_township_table(make_app, scoring_url, tmp_path, monkeypatch,
                                             capsys):
    survey = make_app("survey", SCORING_URL=scoring_url)
    monkeypatch.setattr(demo, "LINKS", 24)
    with serving(survey) as survey_url:
        monkeypatch.setenv("SURVEY_URL", survey_url)
        monkeypatch.setenv("SCORING_URL", scoring_url)
        ctx = DemoContext(tmp_path)
        demo.run(ctx)
    out = capsys.readouterr().out
    table = [line.split() for line in out.splitlines() if line.strip().startswith(("T0", "ALL"))]
    assert [row[0] for row in table] == ["T01", "T02", "ALL"]
    assert all(0 < float(row[2]) <= int(row[1]) for row in table)      # n_eff <= n
    assert "24 one-time links" in out and "margins used: " in out and "sex" in out
    assert isinstance(ctx.state["web_poll_id"], int)
    saved = (tmp_path / "survey-web-estimates.csv").read_text(encoding="utf-8-sig")
    assert saved.startswith("township,question,statistic,category,estimate,se")
