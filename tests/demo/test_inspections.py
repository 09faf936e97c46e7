"""The inspection step runs against the inspection service over real HTTP and says what
it did."""

from services.demo import inspections
from tests.support import serving


def test_demo_runs_end_to_end(make_app, registry_url, evidence_dir, demo_context, tmp_path,
                              capsys):
    app = make_app("inspection", SCORING_URL=registry_url,
                   INSPECTION_EVIDENCE_DIR=str(evidence_dir))
    with serving(app) as url:
        ctx = demo_context(inspection=url, scoring=registry_url)
        inspections.run(ctx)
    out = capsys.readouterr().out
    assert "404/404 before check-in, 200/200 after" in out
    assert "same UUID with a changed answer: 409" in out
    assert "days overdue" in out
    assert "intact" in out
    assert ctx.state["inspection_window"] == ("2026-06-01", "2026-06-30")
    assert (tmp_path / "inspection_visit_scores_2026-06.xlsx").stat().st_size > 0
