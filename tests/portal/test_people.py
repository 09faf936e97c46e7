"""People: an admin creates, disables, enables, changes roles and issues reset codes (in
the pages and in the domain); each change is an account event; a person redeems a code."""

import re

import pytest
from sqlalchemy import select

from services.portal import passwords, people
from services.portal.models.account_event import AccountEvent
from services.portal.models.person import Person
from shared.errors import Conflict, ValidationFailed
from tests.portal.portal_support import PASSWORD, post_form, sign_in

ADMIN = people.Actor("boss", "10.0.0.5")


def events(db, kind=None):
    query = select(AccountEvent).order_by(AccountEvent.id)
    if kind:
        query = query.where(AccountEvent.kind == kind)
    return db.scalars(query).all()


def admin_client(app, make_person):
    make_person("boss", "admin")
    client = app.test_client()
    sign_in(client, "boss")
    return client


def create(db, clock, username="ming", role="planner", unit=None, password=PASSWORD):
    return people.create_person(db, username=username, display_name="", role=role, unit=unit,
                                password=password, actor=ADMIN, now=clock())


def test_create_checks_every_field(db, clock):
    with pytest.raises(ValidationFailed) as bad_name:
        create(db, clock, username="X")
    assert list(bad_name.value.errors) == ["username"]
    with pytest.raises(ValidationFailed) as no_unit:
        create(db, clock, role="unit")
    assert list(no_unit.value.errors) == ["unit"]
    with pytest.raises(ValidationFailed) as weak:
        create(db, clock, password="password123")
    assert list(weak.value.errors) == ["password"]
    create(db, clock)
    with pytest.raises(Conflict):
        create(db, clock, username="MING")


def test_a_unit_code_is_kept_for_unit_people_only(db, clock):
    assert create(db, clock, role="unit", unit="T01").unit == "T01"
    assert create(db, clock, username="hong", role="planner", unit="T01").unit is None


def test_admin_changes_are_events_with_actor_and_address(db, clock):
    person = create(db, clock)
    people.change_role(db, person, "unit", "T02", ADMIN, clock())
    people.disable(db, person, ADMIN, clock())
    people.enable(db, person, ADMIN, clock())
    people.issue_reset_code(db, person, ADMIN, clock(), hours=24)
    rows = events(db)
    assert [e.kind for e in rows] == ["person.created", "person.role_changed", "person.disabled",
                                      "person.enabled", "person.reset_code_issued"]
    assert all((e.actor, e.subject, e.address) == ("boss", "ming", "10.0.0.5") for e in rows)
    assert rows[1].details == {"before": {"role": "planner", "unit": None},
                               "after": {"role": "unit", "unit": "T02"}}


def test_the_last_active_admin_stays(db, clock):
    first = create(db, clock, username="boss", role="admin")
    with pytest.raises(Conflict):
        people.disable(db, first, ADMIN, clock())
    with pytest.raises(Conflict):
        people.change_role(db, first, "planner", None, ADMIN, clock())
    second = create(db, clock, username="deputy", role="admin")
    people.disable(db, first, ADMIN, clock())
    with pytest.raises(Conflict):
        people.disable(db, second, ADMIN, clock())


def test_a_reset_code_sets_a_new_password_once_and_ends_sessions(db, clock):
    person = create(db, clock)
    person.locked_until = clock()
    code = people.issue_reset_code(db, person, ADMIN, clock(), hours=24)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert person.reset_code_hash != code.replace("-", "")
    with pytest.raises(ValidationFailed) as weak:
        people.redeem_reset_code(db, "ming", code, "short", "10.0.0.9", clock())
    assert list(weak.value.errors) == ["password"]
    people.redeem_reset_code(db, "ming", code.lower(), "Another-river-77", "10.0.0.9", clock())
    assert passwords.verify(person.password_hash, "Another-river-77")
    assert person.locked_until is None
    with pytest.raises(ValidationFailed) as used:
        people.redeem_reset_code(db, "ming", code, "Third-mountain-88", "10.0.0.9", clock())
    assert list(used.value.errors) == ["code"]


def test_a_reset_code_expires(db, clock):
    person = create(db, clock)
    code = people.issue_reset_code(db, person, ADMIN, clock(), hours=24)
    clock.advance(hours=24)
    with pytest.raises(ValidationFailed):
        people.redeem_reset_code(db, "ming", code, "Another-river-77", "10.0.0.9", clock())


def test_admin_pages_add_a_person_with_a_generated_password(portal_app, make_person, db):
    client = admin_client(portal_app, make_person)
    page = post_form(client, "/people", {"username": "Hong", "display_name": "小红",
                                         "role": "unit", "unit": "T01", "password": ""})
    html = page.get_data(as_text=True)
    shown = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    assert "已添加 hong" in html
    person = db.scalar(select(Person).where(Person.username == "hong"))
    assert (person.role, person.unit, person.display_name) == ("unit", "T01", "小红")
    assert passwords.verify(person.password_hash, shown)
    assert shown not in client.get("/people").get_data(as_text=True)   # shown once


def test_admin_pages_show_field_errors_and_keep_the_input(portal_app, make_person):
    client = admin_client(portal_app, make_person)
    page = post_form(client, "/people", {"username": "hong", "display_name": "小红",
                                         "role": "unit", "unit": "", "password": "password123"})
    html = page.get_data(as_text=True)
    assert "单位填报员须填写单位代码" in html and 'value="小红"' in html
    assert 'aria-invalid="true"' in html


def test_admin_pages_change_role_disable_enable_and_issue_codes(portal_app, make_person, db):
    client = admin_client(portal_app, make_person)
    ming = make_person("ming", "planner")
    page = f"/people/{ming}"
    post_form(client, page, {"role": "inspector", "unit": ""}, action=f"{page}/role")
    post_form(client, page, {}, action=f"{page}/disable")
    assert "已停用" in client.get(page).get_data(as_text=True)
    post_form(client, page, {}, action=f"{page}/enable")
    coded = post_form(client, page, {}, action=f"{page}/reset-code").get_data(as_text=True)
    assert re.search(r'<code class="secret">[A-Z2-9-]{14}</code>', coded)
    kinds = [e.kind for e in events(db) if e.subject == "ming"]
    assert kinds == ["person.created", "person.role_changed", "person.disabled",
                     "person.enabled", "person.reset_code_issued"]
    assert [e.actor for e in events(db) if e.subject == "ming"] == ["test"] + ["boss"] * 4


def test_a_disabled_person_is_signed_out_and_cannot_sign_in(portal_app, make_person):
    admin = admin_client(portal_app, make_person)
    ming = make_person("ming", "planner")
    client = portal_app.test_client()
    sign_in(client, "ming")
    post_form(admin, f"/people/{ming}", {}, action=f"/people/{ming}/disable")
    assert client.get("/").status_code == 302
    assert "账号已停用" in sign_in(client, "ming").get_data(as_text=True)


def test_only_admins_open_the_people_pages(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    sign_in(client, "ming")
    assert client.get("/people").status_code == 403
    assert client.get("/events").status_code == 403
