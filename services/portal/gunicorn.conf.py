"""Gunicorn configuration of the portal.

Run as `gunicorn -c services/portal/gunicorn.conf.py`.
"""

from shared.gunicorn_settings import settings_for

globals().update(settings_for("portal"))
wsgi_app = "services.portal.app:create_app()"
