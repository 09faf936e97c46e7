"""Tables of the portal (its own database): people, their sessions, account events."""

from shared.db import ServiceBase, new_metadata


class Base(ServiceBase):
    __abstract__ = True
    metadata = new_metadata()


# Every model module, so that Base.metadata is complete for Alembic and the tests.
from services.portal.models import account_event, person, web_session  # noqa: E402,F401
