"""Security headers on every response, cookie flags, CSRF on every form, no inline
script or style in any template, no open redirect after switching the language."""

import re
from pathlib import Path

import pytest

from services.portal.security import CSP
from tests.portal.portal_support import csrf_token, post_form, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "portal" / "templates"
EXPECTED = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_secure(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy


def test_the_policy_allows_no_inline_code_and_no_framing():
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'self'"


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/sign-in", 200), ("GET", "/", 302), ("GET", "/static/portal.css", 200),
    ("GET", "/healthz", 200), ("GET", "/readyz", 200), ("GET", "/no-such-page", 404),
    ("POST", "/sign-in", 400), ("PUT", "/sign-in", 405), ("GET", "/people", 302),
])
def test_every_response_carries_the_headers(portal_app, method, path, status):
    response = portal_app.test_client().open(path, method=method)
    assert response.status_code == status
    assert_secure(response)


def test_error_pages_and_failures_carry_the_headers(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    sign_in(client, "ming")
    forbidden = client.get("/people")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.get_data(as_text=True)
    assert_secure(forbidden)
    too_large = client.post("/sign-in", data={"x": "y" * 2_000_000})
    assert too_large.status_code == 413
    assert_secure(too_large)


def test_pages_are_not_cached_but_static_files_may_be(portal_app):
    client = portal_app.test_client()
    assert client.get("/sign-in").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/portal.css").headers.get("Cache-Control", "")


def test_the_cookie_is_httponly_and_samesite_lax(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    response = sign_in(client, "ming")
    header = response.headers["Set-Cookie"]
    assert header.startswith("kaoping_portal=")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header


def test_behind_the_tls_proxy_the_cookie_is_secure(make_app, make_person, monkeypatch, clock):
    monkeypatch.setenv("KAOPING_BEHIND_PROXY", "true")
    app = make_app("portal", PORTAL_CLOCK=clock)
    make_person("ming", "planner")
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    page = client.get("/sign-in", headers=https)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    response = client.post("/sign-in", headers={**https, "Referer": "https://localhost/sign-in"},
                           data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                 "username": "ming", "password": "Lantern-harbour-42"})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("path, data", [
    ("/sign-in", {"username": "ming", "password": "Lantern-harbour-42"}),
    ("/sign-out", {}), ("/language", {"lang": "en"}), ("/people", {"username": "x"}),
])
def test_a_post_without_the_csrf_token_is_refused(portal_app, make_person, path, data):
    make_person("ming", "admin")
    client = portal_app.test_client()
    sign_in(client, "ming")
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "表单已失效" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200          # still signed in: nothing happened


def test_a_token_from_another_session_is_refused(portal_app, make_person):
    make_person("ming", "planner")
    stranger = portal_app.test_client()
    token = csrf_token(stranger.get("/sign-in").get_data(as_text=True))
    client = portal_app.test_client()
    client.get("/sign-in")
    response = client.post("/sign-in", data={"csrf_token": token, "username": "ming",
                                             "password": "Lantern-harbour-42"})
    assert response.status_code == 400


def test_no_template_has_inline_script_or_style():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not inline_script.search(text), template
        assert not re.search(r"\sstyle\s*=", text, re.I), template
        assert not re.search(r"<style", text, re.I), template
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), template  # onclick= and co.


def test_the_language_switch_follows_local_pages_only(portal_app):
    client = portal_app.test_client()
    response = post_form(client, "/sign-in", {"lang": "en", "next": "https://evil.example/"},
                         action="/language")
    assert response.location == "/"
