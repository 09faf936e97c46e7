"""The portal's clock: ``app.config["PORTAL_CLOCK"]`` (tests put their own there), and
the county's calendar day by it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from shared.config import county_today

Clock = Callable[[], datetime]


def as_utc(when: datetime | None) -> datetime | None:
    """Aware UTC; a naive value (SQLite hands them back) is taken as UTC."""
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def today() -> date:
    """The county's calendar day by the app's clock."""
    return county_today(now())


def now() -> datetime:
    """The current instant by the app's clock (``PORTAL_CLOCK``, default UTC now)."""
    from flask import current_app

    return current_app.config["PORTAL_CLOCK"]()
