"""The dialer's metrics, served by the dialer process itself on a port of its own
(``DIALER_METRICS_PORT``, default ``SURVEY_PORT`` + 9, i.e. 5010).

Why its own port rather than the survey service's multiprocess folder: in compose the
dialer runs in a container of its own, in the scale-out shape on other machines, and
restarting the survey service empties that folder; a port goes wherever the dialer goes.
The access rule is the services' (``shared.auth.authorize_scrape``).

- ``kaoping_dialer_claims_total{campaign}``: cases claimed (a call attempt created);
- ``kaoping_dialer_calls_placed_total{campaign}``: calls the carrier accepted, so that
  ``rate()`` gives calls placed per second;
- ``kaoping_dialer_calls_in_flight{campaign}``: call attempts placing, placed or in
  progress, counted in the database at each scrape. They are every dialer's calls, so
  several dialers report the same number: aggregate with ``max``, not ``sum``.

The counters belong to the process (they start at 0 when a dialer starts); a scrape
that cannot reach the database leaves the gauge out rather than failing.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer

from services.survey.models.telephony import CallAttempt
from services.survey.telephony.campaigns import IN_FLIGHT
from shared.db import session_scope
from shared.metrics import scrape_app, serve_in_background

log = logging.getLogger("kaoping.dialer")

CLAIMS = Counter("kaoping_dialer_claims", "Cases the dialer claimed (a call attempt created), "
                 "by campaign id.", ("campaign",), registry=None)
CALLS_PLACED = Counter("kaoping_dialer_calls_placed", "Calls the carrier accepted, by "
                       "campaign id.", ("campaign",), registry=None)


class CallsInFlight:
    """``kaoping_dialer_calls_in_flight{campaign}`` from the database, at scrape time."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    @staticmethod
    def family() -> GaugeMetricFamily:
        return GaugeMetricFamily("kaoping_dialer_calls_in_flight", "Call attempts placing, "
                                 "placed or in progress (every dialer's), by campaign id.",
                                 labels=["campaign"])

    def describe(self):
        """The metric's name for the registry, without asking the database."""
        yield self.family()

    def collect(self):
        try:
            with session_scope(self.sessions) as session:
                rows = session.execute(
                    select(CallAttempt.campaign_id, func.count(CallAttempt.id))
                    .where(CallAttempt.state.in_(IN_FLIGHT))
                    .group_by(CallAttempt.campaign_id)).all()
        except SQLAlchemyError as exc:
            log.warning("calls in flight not counted: %s", exc.__class__.__name__)
            return
        gauge = self.family()
        for campaign_id, count in rows:
            gauge.add_metric([str(campaign_id)], count)
        yield gauge


def dialer_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    """The counters of this process and the in-flight gauge read through ``sessions``."""
    registry = CollectorRegistry()
    registry.register(CLAIMS)
    registry.register(CALLS_PLACED)
    registry.register(CallsInFlight(sessions))
    return registry


def serve_metrics(sessions: sessionmaker[Session], host: str, port: int,
                  token: str) -> BaseWSGIServer | None:
    """Serve ``GET /metrics`` on ``host:port`` from a background thread; None (and a
    warning in the log) when the port is taken, e.g. by a second dialer on the host:
    the dialer dials on without metrics."""
    return serve_in_background(scrape_app("dialer", dialer_registry(sessions), token),
                               host, port)
