"""Who is signed in, and who may open a page.

Before each request the session id in the signed cookie is looked up
(``web_sessions.current``); ``g.person`` is the signed-in person or None. ``@require``
sends a visitor to the sign-in page and answers 403 to a person whose role is not
listed (``admin`` may open every page, as in the services).
"""

from __future__ import annotations

import functools
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for

from services.portal import web_sessions
from services.portal.api_client import Apis, settings_from
from services.portal.clock import now
from services.portal.models.person import Person
from shared.db import db_session
from shared.errors import Forbidden


def load_person() -> None:
    """``g.person`` from the session id in the cookie; an ended session is forgotten."""
    g.person = None
    token = session.get("sid")
    if not token or request.endpoint in (None, "static") or request.blueprint == "health":
        return
    idle = timedelta(minutes=current_app.config["PORTAL_IDLE_TIMEOUT_MIN"])
    found = web_sessions.current(db_session(), token, now(), idle)
    if found is None:
        session.pop("sid", None)
        session["ended"] = True  # the sign-in page says why
        return
    g.person = found.person


def start(person: Person) -> None:
    """Sign ``person`` in: end the visitor's old session, clear the cookie's contents (a
    new CSRF secret too) and put a new session id in it; the language stays."""
    language = session.get("lang")
    web_sessions.close(db_session(), session.get("sid"))
    session.clear()
    session["sid"] = web_sessions.open_session(db_session(), person, now(), address(),
                                               request.user_agent.string or "")
    if language:
        session["lang"] = language
    g.person = person


def end() -> None:
    """Sign out of this browser."""
    web_sessions.close(db_session(), session.get("sid"))
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def address() -> str:
    """The client's address (the gateway's X-Forwarded-For behind the proxy)."""
    return request.remote_addr or "unknown"


def require(*roles: str):
    """Only signed-in people with one of ``roles`` (or admin) open the page; no roles
    listed means any signed-in person."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if g.person is None:
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if roles and g.person.role not in (*roles, "admin"):
                raise Forbidden(f"role {g.person.role} may not open this page")
            return view(*args, **kwargs)

        return guarded

    return decorate


def apis() -> Apis:
    """The services' APIs as the signed-in person (one token per request)."""
    if "apis" not in g:
        g.apis = Apis(g.person, settings_from(current_app.config))
    return g.apis


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirect)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("home.index")
