"""The scoring intake step of ``kaoping demo``, against the app served over real HTTP."""

from services.demo import scoring_intake
from tests.support import serving


def test_demo_step_loads_the_county_and_prints_the_summary(scoring_app, demo_context, tmp_path,
                                                           capsys):
    with serving(scoring_app) as url:
        ctx = demo_context(scoring=url)
        scoring_intake.run(ctx)
    out = capsys.readouterr().out
    assert ctx.state["townships"] == [f"T{i:02d}" for i in range(1, 13)]
    assert ctx.state["period"] == "2026-H1" and isinstance(ctx.state["scheme_version_id"], int)
    assert "118 units in 11 peer groups (112 key tasks" in out
    assert "TS 乡镇 12u/" in out and "G03 综合经济部门 14u/" in out
    for month in range(1, 7):
        assert f"2026-{month:02d} " in out
    assert "2026-H1: key-task milestones on time" in out
    assert "T02's are denied (403)" in out
    assert len(out.splitlines()) <= 25  # one screen
    assert (tmp_path / "scoring_self_checks_2026-06.csv").read_bytes().startswith(b"\xef\xbb\xbf")
