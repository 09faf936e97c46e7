"""``kaoping demo``: its steps in order, each run once with the same context."""

from services.demo import steps
from services.demo.config import DemoSettings


def test_the_demo_is_the_mid_year_assessment_in_order():
    assert [step.__module__ for step in steps.STEPS] == [
        "services.demo.foundation", "services.demo.scoring_intake", "services.demo.web_poll",
        "services.demo.phone_poll", "services.demo.inspections", "services.demo.monthly_runs",
        "services.demo.assessment",
        "services.demo.documents", "services.demo.instructions", "services.demo.xlsform",
        "services.demo.portal_people"]
    assert all(step.__name__ == "run" for step in steps.STEPS)


def test_run_demo_runs_each_step_in_order_with_one_context(tmp_path, capsys):
    seen = []

    def first(ctx):
        ctx.section("first")
        ctx.state["made"] = 1
        seen.append(("first", ctx))

    def second(ctx):
        ctx.section("second")
        seen.append(("second", ctx.state["made"]))

    settings = DemoSettings.from_env(tmp_path / "out")
    ctx = steps.run_demo(settings, steps=(first, second))
    assert seen == [("first", ctx), ("second", 1)]
    assert (tmp_path / "out").is_dir()
    assert capsys.readouterr().out.splitlines() == [
        "== 1. first ==", "", "== 2. second ==", "",
        f"Demo outputs are in {tmp_path / 'out'}",
        f"Portal: {settings.urls['portal']}/ (sign in with a username and password above)"]


def test_kaoping_demo_takes_an_output_folder(tmp_path):
    from services.cli import build_parser

    args = build_parser().parse_args(["demo", "--out", str(tmp_path)])
    assert args.out == tmp_path and args.func is steps._run
