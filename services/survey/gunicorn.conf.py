"""Gunicorn configuration of the survey service (`gunicorn -c <this file>`)."""

from shared.gunicorn_settings import settings_for

globals().update(settings_for("survey"))
wsgi_app = "services.survey.app:create_app()"
