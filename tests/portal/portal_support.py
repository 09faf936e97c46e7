"""Helpers of the portal tests: a clock the test moves, people made directly in the
portal's database, and a signed-in test client that sends the forms' CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from services.portal import people
from shared.db import session_factory, session_scope

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')
PASSWORD = "Lantern-harbour-42"


@dataclass
class MovableClock:
    """``PORTAL_CLOCK`` for tests: returns ``now``; ``advance`` moves it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 6, 15, 2, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


def post_form(client, page: str, data: dict, action: str | None = None, **kwargs):
    """GET ``page``, then POST ``data`` with the page's CSRF token to ``action`` (or the page)."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data}, **kwargs)


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def portal_app(make_app, clock):
    return make_app("portal", PORTAL_CLOCK=clock)


@pytest.fixture
def make_person(engines, clock):
    """make_person(username, role, unit=None, password=PASSWORD) -> the person's id."""

    def make(username: str, role: str, unit: str | None = None, password: str = PASSWORD,
             name: str = "") -> int:
        with session_scope(session_factory(engines["portal"])) as session:
            person = people.create_person(session, username=username, display_name=name,
                                          role=role, unit=unit, password=password,
                                          actor=people.Actor("test"), now=clock())
            return person.id

    return make


def sign_in(client, username: str, password: str = PASSWORD):
    return post_form(client, "/sign-in", {"username": username, "password": password})


@pytest.fixture
def db(engines):
    """A session on the portal's test database (committed at the end of the test)."""
    with session_scope(session_factory(engines["portal"])) as session:
        yield session
