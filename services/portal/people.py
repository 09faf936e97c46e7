"""People and what an admin (or ``kaoping user``) does to them: create, disable, enable,
change the role, issue a one-time reset code; and what a person does with a code.

Each change is an account event naming the actor. The last active admin cannot be
disabled or given another role (Conflict), so that someone can always manage accounts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.portal import account_events, passwords, web_sessions
from services.portal.clock import as_utc
from services.portal.models.person import ROLES, Person
from shared.errors import Conflict, NotFound, ValidationFailed

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


@dataclass(frozen=True)
class Actor:
    """Who makes a change (a username, or ``cli``) and from which address."""

    name: str
    address: str | None = None


def get_person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"Person {person_id} not found")
    return person


def get_by_username(session: Session, username: str) -> Person:
    person = session.scalar(select(Person).where(Person.username == username.strip().lower()))
    if person is None:
        raise NotFound(f"No person with username {username!r}",
                       {"username": [_l("No such username.")]})
    return person


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.username)))


def _check_role(role: str, unit: str | None) -> str | None:
    errors: dict[str, list] = {}
    if role not in ROLES:
        errors["role"] = [_l("Choose one of the roles.")]
    unit = (unit or "").strip() or None
    if role == "unit" and not unit:
        errors["unit"] = [_l("A unit person needs a unit code.")]
    elif unit and not UNIT_CODE.match(unit):
        errors["unit"] = [_l("Use letters, digits, dot, dash or underscore.")]
    if errors:
        raise ValidationFailed("Role or unit is not valid", errors)
    return unit if role == "unit" else None


def create_person(session: Session, *, username: str, display_name: str, role: str,
                  unit: str | None, password: str, actor: Actor, now: datetime) -> Person:
    """Add a person; raise ValidationFailed (per field) or Conflict for a taken username."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise ValidationFailed("Username is not valid", {"username": [
            _l("2 to 60 lower-case letters, digits, dot, dash or underscore.")]})
    unit = _check_role(role, unit)
    passwords.check(password, name)
    if session.scalar(select(Person.id).where(Person.username == name)) is not None:
        raise Conflict(f"Username {name!r} is taken", {"username": [_l("This username is taken.")]})
    person = Person(username=name, display_name=display_name.strip() or name, role=role,
                    unit=unit, password_hash=passwords.hash_password(password), failed_count=0,
                    created_at=now)
    session.add(person)
    session.flush()
    account_events.record(session, "person.created", now, actor=actor.name, subject=name,
                          address=actor.address, role=role, unit=unit)
    return person


def _other_active_admins(session: Session, person: Person) -> int:
    return session.scalar(select(func.count(Person.id)).where(
        Person.role == "admin", Person.disabled_at.is_(None), Person.id != person.id)) or 0


def _keep_an_admin(session: Session, person: Person) -> None:
    if person.role == "admin" and person.active and not _other_active_admins(session, person):
        raise Conflict("The last active admin must stay an active admin",
                       {"role": [_l("This is the last active admin.")]})


def disable(session: Session, person: Person, actor: Actor, now: datetime) -> Person:
    """Disable the account and end its sessions; Conflict for the last active admin."""
    if person.active:
        _keep_an_admin(session, person)
        person.disabled_at = now
        ended = web_sessions.close_all(session, person)
        account_events.record(session, "person.disabled", now, actor=actor.name,
                              subject=person.username, address=actor.address,
                              sessions_ended=ended)
    return person


def enable(session: Session, person: Person, actor: Actor, now: datetime) -> Person:
    """Re-enable a disabled account (its lock-out count starts again)."""
    if not person.active:
        person.disabled_at = None
        person.failed_count, person.failed_since, person.locked_until = 0, None, None
        account_events.record(session, "person.enabled", now, actor=actor.name,
                              subject=person.username, address=actor.address)
    return person


def change_role(session: Session, person: Person, role: str, unit: str | None, actor: Actor,
                now: datetime) -> Person:
    """Give the person another role (and unit); their sessions end, so that the next
    page is read with the new role. ValidationFailed per field, Conflict for the last
    active admin."""
    unit = _check_role(role, unit)
    if (role, unit) == (person.role, person.unit):
        return person
    if role != "admin":
        _keep_an_admin(session, person)
    before = {"role": person.role, "unit": person.unit}
    person.role, person.unit = role, unit
    web_sessions.close_all(session, person)
    account_events.record(session, "person.role_changed", now, actor=actor.name,
                          subject=person.username, address=actor.address, before=before,
                          after={"role": role, "unit": unit})
    return person


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def issue_reset_code(session: Session, person: Person, actor: Actor, now: datetime,
                     hours: int) -> str:
    """A new one-time reset code (shown once; only its SHA-256 is kept), valid ``hours``;
    an earlier code stops working."""
    raw = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(12))
    person.reset_code_hash = _code_digest(raw)
    person.reset_code_expires = now + timedelta(hours=hours)
    account_events.record(session, "person.reset_code_issued", now, actor=actor.name,
                          subject=person.username, address=actor.address,
                          expires=person.reset_code_expires.isoformat())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def redeem_reset_code(session: Session, username: str, code: str, new_password: str,
                      address: str, now: datetime) -> Person:
    """Set a new password with a reset code; the code is used up, the lock lifted and
    every session ended. ValidationFailed names the field that is wrong."""
    person = session.scalar(select(Person).where(Person.username == username.strip().lower()))
    expires = as_utc(person.reset_code_expires) if person else None
    if (person is None or not person.reset_code_hash or expires is None or expires <= now
            or not secrets.compare_digest(person.reset_code_hash, _code_digest(code))):
        raise ValidationFailed("Reset code is not valid", {"code": [
            _l("This code is not valid for this username, or it has expired.")]})
    passwords.check(new_password, person.username)
    person.password_hash = passwords.hash_password(new_password)
    person.reset_code_hash = person.reset_code_expires = None
    person.failed_count, person.failed_since, person.locked_until = 0, None, None
    ended = web_sessions.close_all(session, person)
    account_events.record(session, "password.reset", now, actor=person.username,
                          subject=person.username, address=address, sessions_ended=ended)
    return person


def change_password(session: Session, person: Person, current: str, new_password: str,
                    address: str, now: datetime) -> Person:
    """Replace the password after checking the current one (ValidationFailed per field)."""
    if not passwords.verify(person.password_hash, current):
        raise ValidationFailed("Current password is wrong",
                               {"current": [_l("This is not your current password.")]})
    passwords.check(new_password, person.username)
    person.password_hash = passwords.hash_password(new_password)
    account_events.record(session, "password.changed", now, actor=person.username,
                          subject=person.username, address=address)
    return person
