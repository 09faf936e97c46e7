"""Tables of the survey service (its own database; no other service reads them)."""

from shared.db import ServiceBase, new_metadata
from shared.idempotency import IdempotencyMixin


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


class IdempotencyRecord(IdempotencyMixin, Base):
    """Results of retried writes, keyed by scope and client key."""


# Every model module, so that Base.metadata is complete.
from . import interviews, links, polls, questionnaires, telephony  # noqa: E402,F401
