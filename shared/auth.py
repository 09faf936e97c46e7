"""Bearer-token auth (JWT HS256) that denies by default.

Every request to an endpoint that is not explicitly public needs a valid token
(401 otherwise). A view states who may call it with ``@roles(...)``; a view that
states nothing is admin-only, so a forgotten decorator fails closed. ``admin``
passes every role check. A ``unit`` token carries the unit it may act for.

``GET /metrics`` is neither: ``@scraper`` hands it to ``authorize_scrape`` (loopback
peer, or the static ``KAOPING_METRICS_TOKEN`` that Prometheus is configured with).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from dataclasses import dataclass

import jwt
from flask import current_app, g, request

from shared.config import jwt_secret
from shared.errors import Forbidden, NotFound, Unauthorized

ROLES = ("admin", "planner", "inspector", "unit", "analyst", "service")
ALGORITHM = "HS256"
# Endpoints anyone may call: health, the OpenAPI document and its UI.
PUBLIC_BLUEPRINTS = {"health", "api-docs", "docs_assets"}
# Headers a proxy adds: a request that carries one was relayed (by the gateway, say), so
# its loopback peer says nothing about where it came from.
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


@dataclass(frozen=True)
class Principal:
    sub: str
    role: str
    unit: str | None = None

    def may_see_unit(self, unit_code: str) -> bool:
        """A unit token sees only its own unit; every other role sees all units."""
        return self.role != "unit" or self.unit == unit_code


def issue_token(sub: str, role: str, unit: str | None = None, ttl: int = 3600,
                key: str | None = None) -> str:
    """Mint a token signed with ``key``; raise ValueError for an unknown role or a unit
    role without a unit.

    An app passes ``app.config["JWT_SECRET"]``; without a key (commands, scripts, tests)
    the token is signed with ``shared.config.jwt_secret()``.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role == "unit" and not unit:
        raise ValueError("role 'unit' needs a unit code")
    now = int(time.time())
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + int(ttl)}
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, key or jwt_secret(), algorithm=ALGORITHM)


def decode_token(token: str, key: str) -> Principal:
    """Verify signature and expiry; raise Unauthorized with the reason."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM],
                            options={"require": ["sub", "role", "exp"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"Invalid token: {exc}") from None
    if claims["role"] not in ROLES:
        raise Unauthorized(f"Invalid token: unknown role {claims['role']!r}")
    if claims["role"] == "unit" and not claims.get("unit"):
        raise Unauthorized("Invalid token: a unit token needs a unit claim")
    return Principal(str(claims["sub"]), claims["role"], claims.get("unit"))


def roles(*allowed: str):
    """Declare which roles may call a view (method). ``admin`` is always allowed."""
    unknown = set(allowed) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(func):
        func._kaoping_roles = frozenset(allowed) | {"admin"}
        return func

    return decorate


def public(func):
    """Mark a view as callable without a token (it must authenticate otherwise,
    for example by a Twilio signature or a one-time respondent link)."""
    func._kaoping_public = True
    return func


def scraper(func):
    """Mark a view for metrics scrapers: no JWT; ``authorize_scrape`` decides instead."""
    func._kaoping_scrape = True
    return func


def authorize_scrape() -> None:
    """Let a metrics scraper in: without a token when the direct peer (the socket's, not
    ``X-Forwarded-For``, even behind ProxyFix) is 127.0.0.1 or ::1 and no forwarding
    header says the request was relayed; otherwise with ``Authorization: Bearer
    <KAOPING_METRICS_TOKEN>`` (``app.config["METRICS_TOKEN"]``).

    Raises Forbidden when no token is configured (loopback only), Unauthorized when the
    token is missing or wrong.
    """
    peer = (request.environ.get("werkzeug.proxy_fix.orig") or request.environ).get(
        "REMOTE_ADDR") or ""
    if _is_loopback(peer) and not any(name in request.headers for name in FORWARDING_HEADERS):
        return
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        raise Forbidden("Metrics are served only to 127.0.0.1 and ::1; set "
                        "KAOPING_METRICS_TOKEN to scrape from elsewhere or through a proxy")
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("Metrics need 'Authorization: Bearer <KAOPING_METRICS_TOKEN>' "
                           "from this address")
    if not hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        raise Unauthorized("Invalid metrics token")


def _is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return (getattr(ip, "ipv4_mapped", None) or ip).is_loopback


def _view_target(endpoint: str):
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = getattr(view_class, request.method.lower(), None)
        if method is None and request.method == "HEAD":
            method = getattr(view_class, "get", None)
        return method or view
    return view


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise Unauthorized("Authentication required")
    return principal


def require_unit(unit_code: str, *, hide: bool = False) -> None:
    """Stop a unit token acting for another unit: 403, or 404 when ``hide`` is set."""
    principal = current_principal()
    if not principal.may_see_unit(unit_code):
        if hide:
            raise NotFound("Not found")
        raise Forbidden(f"Your token is scoped to unit {principal.unit}, not {unit_code}")


def _authenticate() -> None:
    if request.endpoint is None or request.method == "OPTIONS":
        return  # routing will answer 404/405
    blueprint = request.blueprints[-1] if request.blueprints else None
    target = _view_target(request.endpoint)
    if target is not None and getattr(target, "_kaoping_scrape", False):
        authorize_scrape()
        return
    if blueprint in PUBLIC_BLUEPRINTS or request.endpoint == "static":
        return
    if target is not None and getattr(target, "_kaoping_public", False):
        return
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'")
    principal = decode_token(header[7:].strip(), current_app.config["JWT_SECRET"])
    g.principal = principal
    allowed = getattr(target, "_kaoping_roles", frozenset({"admin"}))
    if principal.role not in allowed:
        raise Forbidden(f"Role {principal.role!r} may not {request.method} this resource; "
                        f"allowed: {', '.join(sorted(allowed))}")


def init_auth(app) -> None:
    """Authenticate every request of ``app`` with the key in ``app.config["JWT_SECRET"]``
    (``shared.app`` puts ``CommonSettings.jwt_secret`` there)."""
    app.before_request(_authenticate)

