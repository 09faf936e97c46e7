"""``kaoping``: one command line for the whole suite.

Core commands live here; a service adds its own by providing ``services/<name>/cli.py``
with ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from services.cli import lifecycle, tokens
from shared.config import ConfigError
from shared.errors import DomainError

SERVICES = ("survey", "scoring", "inspection", "portal")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kaoping",
        description="Kaoping: county assessment suite (survey, scoring, inspection, portal).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lifecycle.register(sub)
    tokens.register(sub)
    from services.demo import steps as demo

    demo.register(sub)
    for service in SERVICES:
        try:
            module = importlib.import_module(f"services.{service}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{service}.cli":
                raise
            continue
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
