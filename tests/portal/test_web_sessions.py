"""Server-side sessions: a new id at each sign-in, 30 minutes idle ends one, sign out here
or everywhere, a disabled person's sessions end."""

from datetime import timedelta

from sqlalchemy import select

from services.portal import web_sessions
from services.portal.models.person import Person
from services.portal.models.web_session import WebSession
from tests.portal.portal_support import post_form, sign_in

COOKIE = "kaoping_portal"


def signed_in(app, username="ming"):
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def test_signing_in_rotates_the_session_id(portal_app, make_person, db):
    make_person("ming", "planner")
    client = portal_app.test_client()
    client.get("/sign-in")
    before = cookie(client)
    sign_in(client, "ming")
    first = cookie(client)
    assert first != before and client.get("/").status_code == 200
    sign_in(client, "ming")
    assert client.get("/").status_code == 200
    client.set_cookie(COOKIE, first)        # the id of the earlier sign-in is dead
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.location
    assert len(db.scalars(select(WebSession)).all()) == 1


def test_a_session_ends_after_thirty_idle_minutes(portal_app, make_person, clock):
    make_person("ming", "planner")
    client = signed_in(portal_app)
    clock.advance(minutes=29)
    assert client.get("/password").status_code == 200       # use keeps it alive
    clock.advance(minutes=29)
    assert client.get("/password").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/password")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    page = client.get(response.location).get_data(as_text=True)
    assert "30 分钟无操作" in page
    assert client.get("/password").status_code == 302


def test_touching_is_written_at_most_once_a_minute(db, make_person, clock):
    make_person("ming", "planner")
    person = db.scalar(select(Person))
    token = web_sessions.open_session(db, person, clock(), "10.0.0.1", "test")
    idle = timedelta(minutes=30)
    clock.advance(seconds=30)
    assert web_sessions.current(db, token, clock(), idle).last_seen_at != clock()
    clock.advance(seconds=30)
    assert web_sessions.current(db, token, clock(), idle).last_seen_at == clock()
    assert web_sessions.current(db, "forged", clock(), idle) is None


def test_sign_out_ends_this_session_only(portal_app, make_person):
    make_person("ming", "planner")
    phone, desk = signed_in(portal_app), signed_in(portal_app)
    response = post_form(phone, "/password", {}, action="/sign-out")
    assert response.status_code == 302
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 200


def test_sign_out_everywhere_ends_every_session(portal_app, make_person, db):
    make_person("ming", "planner")
    make_person("hong", "planner")
    phone, desk, other = signed_in(portal_app), signed_in(portal_app), signed_in(portal_app, "hong")
    post_form(phone, "/password", {}, action="/sign-out-everywhere")
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 302
    assert other.get("/").status_code == 200
    assert [s.person.username for s in db.scalars(select(WebSession))] == ["hong"]


def test_a_disabled_persons_open_session_ends(portal_app, make_person, db, clock):
    make_person("ming", "planner")
    client = signed_in(portal_app)
    db.scalar(select(Person)).disabled_at = clock()
    db.commit()
    assert client.get("/").status_code == 302


def test_the_cookie_holds_no_person_data_and_the_table_no_raw_id(portal_app, make_person, db):
    make_person("ming", "planner")
    client = signed_in(portal_app)
    stored = db.scalar(select(WebSession))
    assert len(stored.token_hash) == 64
    assert stored.token_hash not in cookie(client)
    assert "ming" not in cookie(client)
