"""Prometheus metrics: request counts and latencies per endpoint, and ``GET /metrics``.

Labels name the view (the Flask endpoint, e.g. ``polls.PollById``), never the raw path,
so the number of series stays bounded whatever clients request: a path that matches
no route is ``endpoint="unmatched"``, a method outside HTTP's usual ones
``method="other"``.

Storage: under gunicorn the configuration (``shared.gunicorn_settings``) sets
``PROMETHEUS_MULTIPROC_DIR`` before any worker imports prometheus_client, so each
worker writes its samples to files there and ``/metrics`` adds up the files of every
worker, including workers that have exited (counters never go back). Without it
(tests, the Flask development server) an app keeps its own registry in memory.

Access is the auth layer's (``shared.auth.scraper``): no token from a loopback peer,
else ``Authorization: Bearer <KAOPING_METRICS_TOKEN>``. ``/metrics`` is a plain Flask
route, not part of the OpenAPI document.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from shared import errors
from shared.auth import authorize_scrape, scraper

log = logging.getLogger("kaoping.metrics")

# Seconds: most API calls take milliseconds; imports, exports and runs take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
LABELS = ("endpoint", "method", "status")
# The ``*_created`` series (when a label set was first seen) only exist in one process's
# registry, never in multiprocess mode: leave them out so both modes expose the same names.
disable_created_metrics()


@dataclass
class Exposition:
    """What ``/metrics`` serves: ``registry``, or, in multiprocess mode, the sum of the
    sample files that every process wrote to ``multiprocess_dir``."""

    registry: CollectorRegistry
    multiprocess_dir: str | None = None

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The text format the scraper asked for (``Accept``), and its content type."""
        registry = self.registry
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self.multiprocess_dir)
        encode, content_type = choose_encoder(accept or "")
        return encode(registry), content_type


blp = Blueprint("metrics", __name__)


@blp.get("/metrics")
@scraper
def metrics():
    # The API services' auth layer checks this already; an app without it (the portal,
    # whose pages have their own sign-in) relies on this check.
    authorize_scrape()
    body, content_type = current_app.extensions["kaoping_metrics"].render(
        request.headers.get("Accept"))
    return Response(body, content_type=content_type)


def init_metrics(app: Flask, *, multiproc_dir: str | None = None) -> None:
    """Count and time every request of ``app`` and serve ``GET /metrics``.

    Call before ``shared.auth.init_auth`` so that the clock also runs for requests that
    auth refuses. ``multiproc_dir``: the folder where gunicorn's workers write their
    samples (``CommonSettings.metrics_multiproc_dir``), None for one process. Who may
    scrape is ``app.config["METRICS_TOKEN"]``'s (``shared.auth.authorize_scrape``).
    """
    registry = CollectorRegistry()
    answered = Counter("kaoping_http_requests", "HTTP requests answered, by endpoint "
                       "(Flask view name), method and status code.", LABELS, registry=registry)
    latency = Histogram("kaoping_http_request_duration_seconds", "Seconds from the start of "
                        "a request's handling to its response, by endpoint, method and status "
                        "code.", LABELS, buckets=LATENCY_BUCKETS, registry=registry)
    # "livesum": the sum over the workers alive (an exited worker's share is dropped).
    in_progress = Gauge("kaoping_http_requests_in_progress", "Requests being handled now.",
                        registry=registry, multiprocess_mode="livesum")
    app.extensions["kaoping_metrics"] = Exposition(registry, multiproc_dir)
    counted = app.extensions["kaoping_request_metrics"] = RequestMetrics(
        answered, latency, in_progress)

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()
        in_progress.inc()

    @app.after_request
    def _observe(response):
        started = g.get("metrics_started")
        if started is not None:
            counted.observe(endpoint_label(), method_label(), str(response.status_code),
                            time.perf_counter() - started)
        return response

    @app.teardown_request
    def _finished(_error):
        if g.pop("metrics_started", None) is not None:
            in_progress.dec()

    app.register_blueprint(blp)


@dataclass
class RequestMetrics:
    """The request metrics of an app, for a WSGI layer that answers some requests
    before Flask (``request_metrics(app)``): it counts them the same way."""

    answered: Counter
    latency: Histogram
    in_progress: Gauge

    def observe(self, endpoint: str, method: str, status: str, seconds: float) -> None:
        self.answered.labels(endpoint, method, status).inc()
        self.latency.labels(endpoint, method, status).observe(seconds)


def request_metrics(app: Flask) -> RequestMetrics:
    return app.extensions["kaoping_request_metrics"]


def endpoint_label() -> str:
    """The matched route's endpoint name, or ``unmatched`` (404, 405 before routing)."""
    return request.url_rule.endpoint if request.url_rule is not None else UNMATCHED


def method_label() -> str:
    return request.method if request.method in METHODS else "other"


def scrape_app(name: str, registry: CollectorRegistry, token: str) -> Flask:
    """A Flask app that serves only ``GET /metrics`` of ``registry``, under the same
    access rule as the services (for a process that is no web service: the dialer)."""
    app = Flask(name)
    app.config["METRICS_TOKEN"] = token
    app.extensions["kaoping_metrics"] = Exposition(registry)
    errors.init_error_handlers(app)
    app.before_request(authorize_scrape)
    app.register_blueprint(blp)
    return app


class _QuietHandler(WSGIRequestHandler):
    """No plain-text access line per scrape: the process logs JSON lines."""

    def log_request(self, *_args) -> None:
        pass


def serve_in_background(app: Flask, host: str, port: int) -> BaseWSGIServer | None:
    """Serve ``app`` on ``host:port`` from a daemon thread; return the server (its
    ``server_port`` is the port bound, useful with 0), or None when the address cannot
    be bound (logged: the caller goes on without metrics)."""
    try:
        server = make_server(host, port, app, threaded=True,
                             request_handler=_QuietHandler)
    except (OSError, SystemExit) as exc:
        # werkzeug prints "Address already in use" and calls sys.exit(1) itself.
        log.warning("metrics not served on %s:%s: %s", host, port, exc or "address in use")
        return None
    threading.Thread(target=server.serve_forever, name=f"{app.name}-metrics",
                     daemon=True).start()
    log.info("metrics on http://%s:%s/metrics", host, server.server_port)
    return server
