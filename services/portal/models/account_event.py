"""Account events: sign-ins, failures, lock-outs and every admin change (append-only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from services.portal.models import Base


class AccountEvent(Base):
    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_address_at", "address", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    # Who acted (a username, or "cli"), and the account it concerns.
    actor: Mapped[str | None] = mapped_column(String(120), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(120), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[Any] = mapped_column(JSON, default=dict)


@event.listens_for(AccountEvent, "before_update")
@event.listens_for(AccountEvent, "before_delete")
def _append_only(_mapper, _connection, _target) -> None:
    """Refuse to change or delete an account event through the ORM."""
    raise PermissionError("account events are append-only")
