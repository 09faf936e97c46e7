"""Tables of the scoring service (its own database; no other service reads them)."""

from shared.db import ServiceBase, new_metadata
from shared.idempotency import IdempotencyMixin


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class IdempotencyRecord(IdempotencyMixin, Base):
    """Results of retried writes, keyed by scope and client key."""


from services.scoring.models import (  # noqa: E402,F401  (complete Base.metadata)
    direct_values,
    documents,
    instructions,
    key_tasks,
    periods,
    registry,
    reminders,
    runs,
    schemes,
    self_checks,
)
