"""``create_service_app``: the one way each API service's ``create_app`` is assembled.

Defaults first, then the settings read from the environment once (``CommonSettings``,
and the service's own from its ``config.py``), then a test override; then the
extensions: JSON logs and request ids, request metrics and ``/metrics``, the database,
flask-smorest (``/openapi.json``, ``/docs``), the error envelope, deny-by-default auth,
health checks.

``base_app`` is the part every Kaoping app shares, the portal included (it serves
pages, so it adds its own sign-in and error pages instead of the API layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared import auth, errors, health, logs, metrics, whoami
from shared.config import CommonSettings
from shared.db import init_request_sessions, make_engine, session_factory
from shared.inputs import IdConverter, JSONProvider, StreamedBodyLimit, refuse_marked_body

API_PREFIX = "/api/v1"


class ServiceFlask(Flask):
    """Flask with the house input limits (``shared.inputs``): ids fit an ``INTEGER``
    column, JSON nests at most 64 levels."""

    json_provider_class = JSONProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_map.converters["int"] = IdConverter

    def ensure_sync(self, func):
        """Flask's, remembered per function: Flask asks for every hook and view of every
        request, and the answer (is it a coroutine function?) never changes."""
        known = self.__dict__.setdefault("_sync_functions", {})
        try:
            return known[func]
        except (KeyError, TypeError):  # TypeError: not hashable, asked every time
            synced = super().ensure_sync(func)
        if len(known) < 4096:
            try:
                known[func] = synced
            except TypeError:
                pass
        return synced

    def log_exception(self, exc_info) -> None:
        """Nothing here: the 500 handler logs the exception as JSON with its error id
        (Flask's default would print a plain-text traceback)."""


@dataclass
class ServiceState:
    """What a running service keeps in ``app.extensions['kaoping']``."""

    engine: Engine
    sessions: sessionmaker[Session]
    migrations_dir: Path
    api: Api | None = None


def base_app(name: str, *, common: CommonSettings, migrations_dir: Path,
             settings: dict[str, Any], test_config: dict[str, Any] | None = None) -> Flask:
    """A Flask app with the house basics: ``common``'s and then the app's ``settings``
    and then ``test_config`` in ``app.config``; the house input limits and last-resort
    error envelope; the gateway's proxy headers trusted when ``common.behind_proxy``; JSON
    logs at ``common.log_level`` and request ids; request metrics and ``GET /metrics``;
    the database (``ENGINE`` in the config, else one made for ``DATABASE_URL`` with
    ``common``'s pool) with the per-request session; ``/healthz`` and ``/readyz``."""
    app = ServiceFlask(name)
    app.config.update(common.flask_config())
    app.config.update(settings)
    if test_config:
        app.config.update(test_config)
    app.wsgi_app = StreamedBodyLimit(errors.LastResort(app.wsgi_app),
                                     lambda: app.config.get("MAX_CONTENT_LENGTH"))
    if common.behind_proxy:
        # Trust one proxy hop (the gateway) for client address, scheme and path prefix.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_prefix=1)
    logs.configure_logging(name, common.log_level)
    pool = common.database
    engine = app.config.get("ENGINE") or make_engine(
        app.config["DATABASE_URL"], pool_size=pool.pool_size, max_overflow=pool.max_overflow,
        ping_after_s=pool.ping_after_s)
    app.extensions["kaoping"] = ServiceState(engine, session_factory(engine), migrations_dir)
    logs.init_request_ids(app)
    # Before the sessions' commit hook, so that a request is counted with its final status.
    metrics.init_metrics(app, multiproc_dir=common.metrics_multiproc_dir)
    init_request_sessions(app)
    app.register_blueprint(health.blp)
    return app


def create_service_app(name: str, *, title: str, description: str, blueprints: list,
                       migrations_dir: Path, test_config: dict[str, Any] | None = None,
                       configure=None, service_settings: dict[str, Any] | None = None,
                       common: CommonSettings | None = None) -> Flask:
    """Build a Kaoping API service.

    ``blueprints`` are flask-smorest Blueprints registered under ``/api/v1``;
    ``common`` (default ``CommonSettings.from_env(name)``, read here once) and then
    ``service_settings`` (the service's ``config.py`` settings, read from the environment
    once) go into ``app.config`` before ``test_config``; ``configure(app)`` may add plain
    blueprints.
    """
    common = common or CommonSettings.from_env(name)
    settings = dict(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Relative, so that the page works behind the gateway's /<service>/ prefix.
        OPENAPI_SWAGGER_UI_URL="docs-assets/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearer": []}],
        },
        MAX_CONTENT_LENGTH=common.max_body_bytes,
        JSON_SORT_KEYS=False,
        **(service_settings or {}),
    )
    app = base_app(name, common=common, migrations_dir=migrations_dir, settings=settings,
                   test_config=test_config)
    app.before_request(refuse_marked_body)
    auth.init_auth(app)
    _register_docs_assets(app)

    api = Api(app)
    app.extensions["kaoping"].api = api
    errors.init_error_handlers(app)
    api.register_blueprint(whoami.blp, url_prefix=API_PREFIX)
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix=API_PREFIX)
    if configure is not None:
        configure(app)
    return app


def _register_docs_assets(app: Flask) -> None:
    from flask import Blueprint

    assets = Blueprint("docs_assets", __name__)

    @assets.get("/docs-assets/<path:filename>")
    def docs_asset(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    app.register_blueprint(assets)
