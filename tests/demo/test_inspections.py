"""The demo step runs against the inspection service over real HTTP and says what it did."""

from services.demo import inspections as demo
from services.demo.steps import DemoContext
from tests.support import serving


def test_demo_runs_end_to_end(app, registry_url, monkeypatch, tmp_path, capsys):
    with serving(app) as url:
        monkeypatch.setenv("INSPECTION_URL", url)
        monkeypatch.setenv("SCORING_URL", registry_url)
        ctx = DemoContext(tmp_path)
        demo.run(ctx)
    out = capsys.readouterr().out
    assert "404/404 before check-in, 200/200 after" in out
    assert "same UUID with a changed answer: 409" in out
    assert "days overdue" in out
    assert "intact" in out
    assert ctx.state["inspection_window"] == ("2026-06-01", "2026-06-30")
    assert (tmp_path / "inspection_visit_scores_2026-06.xlsx").stat().st_size > 0
