"""The units' reminder numbers: E.164, encrypted at rest (``shared.phone_vault`` with the
keys of ``SCORING_PHONE_KEYS``), found by their keyed hash, shown only by their last
four digits. A number opts out by replying STOP (the signed inbound webhook) or by the
office's flag; an opted-out number receives nothing until the flag is cleared."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring.models.registry import Unit
from services.scoring.models.reminders import UnitContact
from shared.db import utcnow
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.phone_vault import PhoneVault, normalise_number


def add_contact(session: Session, vault: PhoneVault, data: dict[str, Any]) -> UnitContact:
    """A unit's number; 422 for an unknown unit or a number that is not one, 409 when the
    unit has it already."""
    if session.scalar(select(Unit.id).where(Unit.code == data["unit"])) is None:
        raise ValidationFailed("Unknown unit", {"unit": [f"unknown unit {data['unit']!r}"]})
    try:
        number = normalise_number(data["number"])
    except ValueError as exc:
        raise ValidationFailed("Not a phone number", {"number": [str(exc)]}) from None
    digest = vault.digest(number)
    if session.scalar(select(UnitContact.id).where(UnitContact.unit_code == data["unit"],
                                                   UnitContact.number_hash == digest)):
        raise Conflict("The unit has this number already", {"number": ["already listed"]})
    contact = UnitContact(unit_code=data["unit"], name=data.get("name") or "",
                          number_ciphertext=vault.encrypt(number), number_hash=digest,
                          last_digits=number[-4:], opted_out=False, created_at=utcnow())
    session.add(contact)
    session.flush()
    return contact


def list_contacts(session: Session, unit: str | None = None) -> list[UnitContact]:
    query = select(UnitContact).order_by(UnitContact.unit_code, UnitContact.id)
    if unit:
        query = query.where(UnitContact.unit_code == unit)
    return list(session.scalars(query))


def set_opt_out(session: Session, contact_id: int, opted_out: bool) -> UnitContact:
    """The office's flag: stop (or resume) every reminder to the number."""
    contact = session.get(UnitContact, contact_id)
    if contact is None:
        raise NotFound(f"Contact {contact_id} not found")
    contact.opted_out = opted_out
    contact.opted_out_at = utcnow() if opted_out else None
    session.flush()
    return contact


STOP_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订")
START_WORDS = ("START", "UNSTOP", "YES")


def inbound_reply(session: Session, vault: PhoneVault, number: str, body: str) -> int:
    """A reply from a number: a STOP word opts every listing of it out, a START word back
    in; returns how many listings changed."""
    word = (body or "").strip().upper()
    if word not in STOP_WORDS and word not in START_WORDS:
        return 0
    try:
        digest = vault.digest(normalise_number(number))
    except ValueError:
        return 0
    stop = word in STOP_WORDS
    changed = 0
    for contact in session.scalars(select(UnitContact).where(UnitContact.number_hash == digest)):
        if contact.opted_out != stop:
            contact.opted_out, contact.opted_out_at = stop, utcnow() if stop else None
            changed += 1
    session.flush()
    return changed


def active_numbers(session: Session, vault: PhoneVault, unit: str) -> list[tuple[int, str]]:
    """``(contact id, E.164)`` of the unit's numbers that have not opted out."""
    return [(c.id, vault.decrypt(c.number_ciphertext)) for c in session.scalars(
        select(UnitContact).where(UnitContact.unit_code == unit, UnitContact.opted_out.is_(False))
        .order_by(UnitContact.id))]
