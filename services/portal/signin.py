"""Signing in with a username and password, with lock-out per account and per address.

An account is locked for ``lock_minutes`` after ``failures`` failed sign-ins within
``lock_minutes`` (default 5 in 15 minutes, then 15 minutes locked); while it is locked
no password is checked. An address is refused for as long as it has ``address_failures``
failed sign-ins (any usernames, known or not) within the last ``lock_minutes``. The
time comes from the caller (``now``), so that tests can move it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.portal import account_events, passwords
from services.portal.clock import as_utc
from services.portal.models.person import Person
from shared.errors import DomainError


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int = 5
    lock_minutes: int = 15
    address_failures: int = 20

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.lock_minutes)


class SignInRefused(DomainError):
    """The sign-in failed: ``reason`` is ``credentials``, ``locked``, ``address`` or
    ``disabled``; ``until`` is when a lock ends (UTC), for ``locked`` and ``address``."""

    status = 401

    def __init__(self, reason: str, until: datetime | None = None):
        super().__init__(f"sign-in refused: {reason}")
        self.reason = reason
        self.until = until


def find(session: Session, username: str) -> Person | None:
    return session.scalar(select(Person).where(Person.username == username.strip().lower()))


def sign_in(session: Session, username: str, password: str, address: str, now: datetime,
            policy: LockoutPolicy) -> Person:
    """The person whose password this is; raise SignInRefused otherwise (and record why)."""
    name = username.strip().lower()
    _refuse_busy_address(session, name, address, now, policy)
    person = find(session, name)
    if person is not None and _locked(person, now):
        account_events.record(session, "sign_in.refused_locked", now, subject=name,
                              address=address)
        raise SignInRefused("locked", as_utc(person.locked_until))
    if passwords.verify(person.password_hash if person else None, password):
        if not person.active:
            account_events.record(session, "sign_in.failed", now, subject=name,
                                  address=address, reason="disabled")
            raise SignInRefused("disabled")
        person.failed_count, person.failed_since, person.locked_until = 0, None, None
        if passwords.needs_rehash(person.password_hash):
            person.password_hash = passwords.hash_password(password)
        account_events.record(session, "sign_in.succeeded", now, actor=name, subject=name,
                              address=address)
        return person
    account_events.record(session, "sign_in.failed", now, subject=name, address=address,
                          reason="credentials" if person else "unknown username")
    if person is not None:
        _count_failure(session, person, now, address, policy)
    raise SignInRefused("credentials")


def _locked(person: Person, now: datetime) -> bool:
    until = as_utc(person.locked_until)
    if until is None:
        return False
    if until > now:
        return True
    # The lock has run out: the count starts again.
    person.failed_count, person.failed_since, person.locked_until = 0, None, None
    return False


def _count_failure(session: Session, person: Person, now: datetime, address: str,
                   policy: LockoutPolicy) -> None:
    since = as_utc(person.failed_since)
    if since is None or now - since >= policy.window:
        person.failed_count, person.failed_since = 0, now
    person.failed_count += 1
    if person.failed_count >= policy.failures:
        person.locked_until = now + policy.window
        account_events.record(session, "sign_in.locked", now, subject=person.username,
                              address=address, failures=person.failed_count,
                              until=person.locked_until.isoformat())
        raise SignInRefused("locked", person.locked_until)


def _refuse_busy_address(session: Session, name: str, address: str, now: datetime,
                         policy: LockoutPolicy) -> None:
    since = now - policy.window
    if account_events.failures_from(session, address, since) < policy.address_failures:
        return
    first = as_utc(account_events.first_failure_from(session, address, since))
    account_events.record(session, "sign_in.address_limited", now, subject=name,
                          address=address)
    raise SignInRefused("address", (first or now) + policy.window)
