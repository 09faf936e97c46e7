"""Server-side sessions of signed-in people.

The browser holds a random session id inside the portal's signed cookie; the table
holds only its SHA-256, who it belongs to and when it was last used. Signing in opens a
new one (the id rotates); a session unused for ``idle`` ends; signing out ends one, and
"sign out everywhere" ends all of a person's sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.portal.clock import as_utc
from services.portal.models.person import Person
from services.portal.models.web_session import WebSession

# Writing ``last_seen_at`` on every page would be a write per click: once a minute will do.
TOUCH_AFTER = timedelta(seconds=60)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, person: Person, now: datetime, address: str,
                 user_agent: str) -> str:
    """Start a session for ``person``; return its id (shown to nobody but the cookie)."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(token), person_id=person.id, created_at=now,
                           last_seen_at=now, address=address[:64],
                           user_agent=user_agent[:300]))
    return token


def current(session: Session, token: str | None, now: datetime,
            idle: timedelta) -> WebSession | None:
    """The live session with this id, touched; None when unknown, idle too long (it is
    ended) or its person is disabled."""
    if not token:
        return None
    found = session.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
    if found is None:
        return None
    if now - as_utc(found.last_seen_at) > idle or not found.person.active:
        session.delete(found)
        return None
    if now - as_utc(found.last_seen_at) >= TOUCH_AFTER:
        found.last_seen_at = now
    return found


def close(session: Session, token: str | None) -> None:
    """End the session with this id (nothing happens for an unknown id)."""
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def close_all(session: Session, person: Person) -> int:
    """End every session of ``person``; return how many there were."""
    result = session.execute(delete(WebSession).where(WebSession.person_id == person.id))
    return result.rowcount or 0


def count_for(session: Session, person: Person) -> int:
    return len(session.scalars(select(WebSession.id)
                               .where(WebSession.person_id == person.id)).all())
