"""Gunicorn configuration of the scoring service (`gunicorn -c <this file>`)."""

from shared.gunicorn_settings import settings_for

globals().update(settings_for("scoring"))
wsgi_app = "services.scoring.app:create_app()"
