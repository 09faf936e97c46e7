"""Who reports for a unit, and which unit's reports a principal reads.

A unit's reporter (a ``unit`` token) writes and reads only its own unit; the office's
staff (``planner``, ``admin``) write for any unit and may back-fill the time a report
was made. Self-checks and key-task progress take a :class:`Reporter`.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Principal
from shared.errors import Forbidden, NotFound


@dataclass
class Reporter:
    """Who writes: ``unit_scope`` of a unit token (None for staff), may backfill times."""

    actor: str
    unit_scope: str | None = None
    may_backfill: bool = False


def reporter(principal: Principal) -> Reporter:
    """The principal as a writer: a unit token is scoped, staff may backfill times."""
    scoped = principal.unit if principal.role == "unit" else None
    return Reporter(principal.sub, scoped, principal.role in ("admin", "planner"))


def check_unit(principal: Principal, unit: str, *, hide: bool = False) -> None:
    """Stop a unit token reading another unit: Forbidden, or NotFound with ``hide`` (for
    what the unit must not know exists)."""
    if not principal.may_see_unit(unit):
        if hide:
            raise NotFound("Not found")
        raise Forbidden(f"Your token is scoped to unit {principal.unit}, not {unit}")


def readable_unit(principal: Principal, requested: str | None) -> str | None:
    """The unit a read is about: a unit token reads its own unit (the default) and is
    Forbidden another; staff read ``requested`` (None: every unit)."""
    if principal.role == "unit":
        requested = requested or principal.unit
        check_unit(principal, requested)
    return requested
