"""Gunicorn configuration of the simulated carrier: one process (calls live in memory),
threads for concurrent requests. Binds ``KAOPING_HOST``:``CARRIER_PORT`` (default
``SURVEY_PORT`` + 8, i.e. 5009)."""

from services.carrier.config import carrier_port
from shared.config import env_int
from shared.gunicorn_settings import service_host

bind = f"{service_host()}:{carrier_port()}"
workers = 1
threads = env_int("CARRIER_THREADS", 16, minimum=1)
worker_class = "gthread"
timeout = 60
graceful_timeout = 5
accesslog = None
errorlog = "-"
proc_name = "kaoping-carrier"
wsgi_app = "services.carrier.app:create_app()"
