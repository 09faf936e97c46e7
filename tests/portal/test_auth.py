"""The password pages: a change needs the current password, a reset needs its one-time
code; a refusal is shown beside its field, a success is flashed after a redirect."""

from services.portal import people
from tests.portal.portal_support import PASSWORD, post_form, sign_in

NEW = "Another-river-77"


def test_a_password_change_needs_the_current_one(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    sign_in(client, "ming")
    wrong = post_form(client, "/password", {"current": "not it", "password": NEW,
                                            "confirm": NEW})
    assert wrong.status_code == 200
    assert "当前密码不正确。" in wrong.get_data(as_text=True)  # beside its field
    done = post_form(client, "/password", {"current": PASSWORD, "password": NEW,
                                           "confirm": NEW}, follow_redirects=True)
    assert done.request.path == "/" and "密码已修改。" in done.get_data(as_text=True)
    fresh = portal_app.test_client()
    assert sign_in(fresh, "ming", NEW).location == "/"


def test_a_reset_code_sets_the_password_once(portal_app, make_person, db, clock):
    make_person("ming", "planner")
    person = people.get_by_username(db, "ming")
    code = people.issue_reset_code(db, person, people.Actor("test"), clock(), hours=24)
    db.commit()
    client = portal_app.test_client()
    form = {"username": "ming", "code": code, "password": NEW, "confirm": NEW}
    done = post_form(client, "/reset", form, follow_redirects=True)
    assert done.request.path == "/sign-in"
    assert "密码已设置，请用新密码登录。" in done.get_data(as_text=True)
    again = post_form(client, "/reset", form)
    assert again.status_code == 200 and 'aria-invalid="true"' in again.get_data(as_text=True)
    assert sign_in(client, "ming", NEW).location == "/"
