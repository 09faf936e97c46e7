"""Who may open a page: visitors go to the sign-in page (and come back after), a role not
listed gets the 403 page, admins open every page."""

import pytest

from services.portal.access import safe_next
from tests.portal.portal_support import post_form, sign_in


def test_a_visitor_is_sent_to_sign_in_and_brought_back(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    response = client.get("/password?x=1")
    assert response.status_code == 302 and response.location == "/sign-in?next=/password?x%3D1"
    back = post_form(client, response.location, {"username": "ming",
                                                 "password": "Lantern-harbour-42"})
    assert back.location == "/password?x=1"


@pytest.mark.parametrize("role, path, status", [
    ("planner", "/people", 403), ("unit", "/events", 403), ("inspector", "/runs/1/publish", 403),
    ("leader", "/people/1", 403), ("analyst", "/password", 200), ("admin", "/people", 200),
    ("admin", "/events", 200), ("admin", "/people/1", 200)])
def test_roles_open_their_pages_only(portal_app, make_person, role, path, status):
    make_person("ming", role, "T01" if role == "unit" else None)
    client = portal_app.test_client()
    sign_in(client, "ming")
    if path.endswith("/publish"):
        response = post_form(client, "/password", {}, action=path)
    else:
        response = client.get(path)
    assert response.status_code == status


@pytest.mark.parametrize("target, expected", [
    ("/units/T01/self-checks?period=2026-06", "/units/T01/self-checks?period=2026-06"),
    (None, "/"), ("", "/"), ("https://evil.example/", "/"), ("//evil.example/", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("relative/path", "/")])
def test_only_local_paths_are_followed(portal_app, target, expected):
    with portal_app.test_request_context():
        assert safe_next(target) == expected
