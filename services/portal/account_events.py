"""Account events: one row in the append-only ``account_events`` table and one JSON log
line (logger ``kaoping.portal.accounts``) for each sign-in, failure, lock-out, sign-out
and admin change."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.portal.models.account_event import AccountEvent

log = logging.getLogger("kaoping.portal.accounts")

# What people read on the events page is translated there; these are the kinds.
KINDS = ("sign_in.succeeded", "sign_in.failed", "sign_in.locked", "sign_in.refused_locked",
         "sign_in.address_limited", "sign_out", "sign_out.everywhere",
         "person.created", "person.disabled", "person.enabled", "person.role_changed",
         "person.reset_code_issued", "password.reset", "password.changed")


def record(session: Session, kind: str, now: datetime, *, actor: str | None = None,
           subject: str | None = None, address: str | None = None,
           **details: Any) -> AccountEvent:
    """Add an event (committed with the request) and write its JSON log line."""
    if kind not in KINDS:
        raise ValueError(f"unknown account event {kind!r}")
    entry = AccountEvent(at=now, kind=kind, actor=actor, subject=subject, address=address,
                         details=details)
    session.add(entry)
    log.info(kind, extra={"event": {"kind": kind, "at": now.isoformat(), "actor": actor,
                                    "subject": subject, "address": address, **details}})
    return entry


def page(session: Session, number: int, size: int = 50) -> tuple[list[AccountEvent], int]:
    """Events newest first: page ``number`` (from 1) of ``size``, and the total count."""
    total = session.scalar(select(func.count(AccountEvent.id))) or 0
    rows = session.scalars(select(AccountEvent).order_by(AccountEvent.id.desc())
                           .offset((max(number, 1) - 1) * size).limit(size))
    return list(rows), total


def failures_from(session: Session, address: str, since: datetime) -> int:
    """Failed sign-ins from ``address`` after ``since``."""
    return session.scalar(select(func.count(AccountEvent.id)).where(
        AccountEvent.address == address, AccountEvent.kind == "sign_in.failed",
        AccountEvent.at > since)) or 0


def first_failure_from(session: Session, address: str, since: datetime) -> datetime | None:
    """The oldest failed sign-in from ``address`` after ``since``."""
    return session.scalar(select(func.min(AccountEvent.at)).where(
        AccountEvent.address == address, AccountEvent.kind == "sign_in.failed",
        AccountEvent.at > since))

