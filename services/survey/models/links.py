"""One-time web links and the contact identity of the sample members they invite.

Contact identity lives in its own table, never joined into what analysts read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db import UTCDateTime, utcnow

from ..telephony.vault import vault
from . import Base


class RespondentLink(Base):
    """A one-time web link; only the SHA-256 of its token is stored.

    ``expires_at`` (UTC): from then on the link opens a "link expired" page (HTTP 410)
    and takes no answers. None (links issued before expiry existed) never expires.
    """

    __tablename__ = "respondent_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"),
                                              unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    interview = relationship("Interview", lazy="joined")
    poll = relationship("Poll", lazy="joined")


class Encrypted(TypeDecorator):
    """Text encrypted at rest with the phone vault (``SURVEY_PHONE_KEYS``, MultiFernet).

    Values are encrypted when written and decrypted when read, so the ORM and the API
    see plain text and the database only Fernet tokens. None stays None.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else vault().encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else vault().decrypt(value)


CONTACT_FIELDS = ("name", "phone", "email", "note")


class RespondentContact(Base):
    """Who a sample member is; kept apart from answers, never shown to analysts.

    Every identity field is encrypted at rest (``Encrypted``); ``kaoping survey
    rotate-phone-keys`` re-encrypts them with the first key.
    """

    __tablename__ = "respondent_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"),
                                              unique=True)
    name: Mapped[str | None] = mapped_column(Encrypted, nullable=True)
    phone: Mapped[str | None] = mapped_column(Encrypted, nullable=True)
    email: Mapped[str | None] = mapped_column(Encrypted, nullable=True)
    note: Mapped[str | None] = mapped_column(Encrypted, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
