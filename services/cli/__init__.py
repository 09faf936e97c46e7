"""``kaoping``: one command line for the whole suite.

``COMMANDS`` lists every module that adds subcommands (``register(subparsers)``): the
core ones here, the demo's, and each service's ``cli.py``. They are imported by name,
so that a module that is missing or renamed stops the command instead of dropping its
subcommands.
"""

from __future__ import annotations

import argparse
import sys

from services.cli import lifecycle, tokens
from services.demo import steps as demo
from services.inspection import cli as inspection_cli
from services.portal import cli as portal_cli
from services.scoring import cli as scoring_cli
from services.scoring import reminder_cli
from services.survey import cli as survey_cli
from shared.config import ConfigError
from shared.errors import DomainError

COMMANDS = (lifecycle, tokens, demo, survey_cli, scoring_cli, reminder_cli, inspection_cli,
            portal_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kaoping",
        description="Kaoping: county assessment suite (survey, scoring, inspection, portal).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"kaoping: configuration error: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"kaoping: {exc.message}", file=sys.stderr)
        if exc.errors:
            print(f"  details: {exc.errors}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
