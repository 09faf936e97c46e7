"""The do-not-call list: numbers never called, kept as keyed hashes only.

Numbers go on it from the planners' API (``add_numbers``) and from a respondent who
presses 9 at the consent prompt; a case whose number is on it is left out of a frame
import and closed before it is dialled.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.survey.models.telephony import DoNotCall
from services.survey.telephony.frame import normalise_number
from services.survey.telephony.vault import PhoneVault
from shared.errors import Problems


def is_do_not_call(session: Session, number_hash: str) -> bool:
    return session.scalar(select(DoNotCall.id).where(DoNotCall.number_hash == number_hash)) \
        is not None


def add_do_not_call(session: Session, number_hash: str, source: str) -> bool:
    """Add a hash to the list; False when it was there already."""
    if is_do_not_call(session, number_hash):
        return False
    with session.begin_nested():
        session.add(DoNotCall(number_hash=number_hash, source=source))
    return True


def add_numbers(session: Session, numbers: list[str], vault: PhoneVault) -> dict[str, int]:
    """Put every number on the list, or none: ValidationFailed naming each one that is no
    valid number (``numbers.<i>``). ``{"rows", "imported", "duplicates", "do_not_call"}``
    as a frame import reports it (``duplicates``: already on the list)."""
    problems = Problems()
    hashes = []
    for i, raw in enumerate(numbers):
        try:
            hashes.append(vault.digest(normalise_number(raw)))
        except ValueError as exc:
            problems.add(f"numbers.{i}", str(exc))
    problems.raise_if_any("Invalid numbers")
    added = sum(add_do_not_call(session, digest, "api") for digest in hashes)
    return {"rows": len(hashes), "imported": added, "duplicates": len(hashes) - added,
            "do_not_call": 0}
