"""A person who signs in to the portal: role, unit, password hash, lock-out state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.portal.models import Base
from shared.db import utcnow

# The portal's roles; ``leader`` reads what ``analyst`` reads (its tokens say analyst).
ROLES = ("admin", "planner", "inspector", "unit", "analyst", "leader")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Lower-case; the ``sub`` of the person's tokens (inspection matches inspectors on it).
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(40), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Failed sign-ins in the current window, when the window began, and the lock.
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # SHA-256 of the one-time reset code an admin issued, and when it stops working.
    reset_code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reset_code_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def token_role(self) -> str:
        """The role the services know: a leader reads as an analyst."""
        return "analyst" if self.role == "leader" else self.role
