"""create_app() of the portal: server-rendered pages for people.

Settings are read from the environment once (``PortalSettings.from_env``), then a
test's ``test_config`` overrides them; then the house basics (``shared.app.base_app``:
logs, request ids, database, health checks), CSRF on every form (Flask-WTF), the
languages (Flask-Babel), the security headers, gzip for the static files (never the
pages), the signed-in person, the pages and the error pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from services.portal import access, compression, i18n, passwords, security
from services.portal.config import PortalSettings
from services.portal.pages import BLUEPRINTS, field_api, init_templates, orders
from services.portal.pages.errors import init_error_pages
from shared.app import base_app
from shared.db import utcnow
from shared.migrations import service_migrations_dir


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    settings = PortalSettings.from_env()
    app = base_app("portal", common=settings.common,
                   migrations_dir=service_migrations_dir("portal"),
                   settings={**settings.flask_config(), "PORTAL_CLOCK": utcnow},
                   test_config=test_config)
    # templates/ and static/ sit beside this file.
    app.root_path = str(Path(__file__).resolve().parent)
    app.before_request(field_api.allow_large_photo)
    app.before_request(orders.allow_large_reply)
    CSRFProtect(app)
    i18n.init_languages(app)
    security.init_security_headers(app, behind_tls=settings.common.behind_proxy)
    compression.init_compression(app)
    app.before_request(access.load_person)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    init_templates(app)
    init_error_pages(app)
    passwords.dummy_hash()  # before the first sign-in, so that every answer takes as long
    return app
