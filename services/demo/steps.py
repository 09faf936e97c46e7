"""``kaoping demo``: the main job, run against the services that ``kaoping run`` started.

``STEPS`` is the whole demo, in order: the county's mid-year assessment (registry,
polls, inspections, scores), then the portal's people, who sign in and see it. Each
step is ``run(ctx)`` of its own module, imported here, so that a step that is missing
or renamed stops the command at once instead of being left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from services.demo import (
    assessment,
    documents,
    foundation,
    inspections,
    instructions,
    monthly_runs,
    phone_poll,
    portal_people,
    scoring_intake,
    web_poll,
    xlsform,
)
from services.demo.config import DemoSettings
from services.demo.context import DemoContext

Step = Callable[[DemoContext], None]
STEPS: tuple[Step, ...] = (
    foundation.run,       # the suite answers, a token per role
    scoring_intake.run,   # the county: registry, scheme, self-checks, key tasks
    web_poll.run,         # residents answer one-time links
    phone_poll.run,       # the dialer calls every township through the simulated carrier
    inspections.run,      # June spot checks, findings, rectification orders
    monthly_runs.run,     # January to June, one published run a month (the months' view)
    assessment.run,       # the mid-year run: rankings, "advanced" awards, publication
    documents.run,        # the Q2 bulletin and the mid-year report as PDF
    instructions.run,     # leaders' instructions followed up; deadline reminders by SMS
    xlsform.run,          # a questionnaire and a checklist from XLSForm workbooks
    portal_people.run,    # one person per role signs in to the portal
)


def run_demo(settings: DemoSettings, steps: Sequence[Step] = STEPS) -> DemoContext:
    """Run ``steps`` in order, a blank line after each; outputs go to
    ``settings.out_dir`` (created)."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(settings)
    for step in steps:
        step(ctx)
        ctx.say()
    ctx.say(f"Demo outputs are in {settings.out_dir}")
    ctx.say(f"Portal: {ctx.url('portal')}/ (sign in with a username and password above)")
    return ctx


def register(sub) -> None:
    demo = sub.add_parser("demo", help="run the demo scenario against running services")
    demo.add_argument("--out", type=Path, default=None, help="folder for outputs (var/demo)")
    demo.set_defaults(func=_run)


def _run(args) -> int:
    run_demo(DemoSettings.from_env(args.out))
    return 0
