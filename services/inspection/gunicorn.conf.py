"""Gunicorn configuration of the inspection service.

Run as `gunicorn -c services/inspection/gunicorn.conf.py`.
"""

from shared.gunicorn_settings import settings_for

globals().update(settings_for("inspection"))
wsgi_app = "services.inspection.app:create_app()"
