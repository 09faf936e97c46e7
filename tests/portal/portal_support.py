"""Helpers of the portal tests: a clock the test moves, people made directly in the
portal's database, and a signed-in test client that sends the forms' CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from argon2 import PasswordHasher, profiles

from services.portal import passwords, people
from shared.config import county_today
from shared.db import session_scope

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


@pytest.fixture(autouse=True)
def cheap_argon2(request, monkeypatch):
    """Argon2 at the portal's parameters (64 MiB, 3 passes) takes a good part of a second
    on a busy two-core machine, and the tests sign in hundreds of times; outside
    ``test_passwords.py`` (which checks the real parameters) they hash with argon2-cffi's
    cheapest profile instead. Everything else about sign-in is the same code."""
    if request.module.__name__.endswith("test_passwords"):
        return
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(passwords, "HASHER", cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("not a password of anyone"))


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def portal_app(make_app, clock):
    return make_app("portal", PORTAL_CLOCK=clock)


@pytest.fixture
def make_person(databases, clock):
    """make_person(username, role, unit=None, password=PASSWORD) -> the person's id (on
    the test's portal database: rolled back after the test unless it needs commits)."""

    def make(username: str, role: str, unit: str | None = None, password: str = PASSWORD,
             name: str = "") -> int:
        with session_scope(databases.sessions("portal")) as session:
            person = people.create_person(session, username=username, display_name=name,
                                          role=role, unit=unit, password=password,
                                          actor=people.Actor("test"), now=clock())
            return person.id

    return make


def sign_in(client, username: str, password: str = PASSWORD):
    return post_form(client, "/sign-in", {"username": username, "password": password})


@pytest.fixture
def db(databases):
    """A session on the portal's test database (committed at the end of the test; rolled
    back after it unless the test needs commits)."""
    with session_scope(databases.sessions("portal")) as session:
        yield session


class _Tables(HTMLParser):
    """Rows of text cells of every table, keyed by the table's id (or data-group)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id") or attrs.get("data-group") or str(len(self.tables))
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """``{table id: [[cell text, ...] per row (header row first)]}``."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


@pytest.fixture
def county(make_app, auth):
    """The small county served by the real survey, scoring and inspection apps."""
    from tests.portal.county import served_county

    with served_county(make_app, auth, county_today()) as served:
        yield served


@pytest.fixture
def county_portal(make_app, county, clock):
    """A portal app on the county's services, its clock at the real now."""
    clock.now = datetime.now(UTC)
    return make_app("portal", PORTAL_CLOCK=clock, SURVEY_URL=county.survey_url,
                    SCORING_URL=county.scoring_url, INSPECTION_URL=county.inspection_url)


def person_token(username: str, role: str, unit: str | None = None) -> dict:
    """API headers with the token the portal mints for such a person."""
    from services.portal.models.person import Person
    from shared.auth import issue_token

    token_role = Person(role=role).token_role
    return {"Authorization": f"Bearer {issue_token(username, token_role, unit, ttl=300)}"}


def home(app, make_person, username, role, unit=None):
    """Make the person, sign in, open the home page: (client, its tables, its HTML)."""
    make_person(username, role, unit)
    client = app.test_client()
    sign_in(client, username)
    response = client.get("/")
    assert response.status_code == 200
    return client, tables(response.get_data(as_text=True)), response.get_data(as_text=True)
