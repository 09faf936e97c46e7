"""A campaign's ``cps`` held across every dialer worker, through the database.

One row per campaign (``phone_send_slots``) holds the next free send slot. A worker
reserves a slot with one short transaction — a single ``UPDATE … RETURNING`` that sets
``slot = max(now, next_free)`` and ``next_free = slot + 1/cps`` — commits, and sleeps
until its slot before placing the call. The UPDATE locks the row on PostgreSQL until
the commit (like ``SELECT … FOR UPDATE``), and SQLite serialises writers, so two workers
never get slots closer than ``1/cps`` apart. Times are seconds since the epoch on the
database's clock unless one is passed (tests), so that workers on hosts whose clocks
disagree still keep the spacing.
"""

from __future__ import annotations

from sqlalchemy import case, func, literal, update
from sqlalchemy.orm import Session

from services.survey.models.telephony import SendSlot
from shared.db import dialect_insert


def _database_now(dialect: str):
    """Seconds since the epoch, as the database sees them."""
    if dialect == "postgresql":
        return func.extract("epoch", func.statement_timestamp())
    return (func.julianday("now") - 2440587.5) * 86400.0


def reserve_slot(session: Session, campaign_id: int, cps: float,
                 now: float | None = None) -> tuple[float, float]:
    """Reserve the campaign's next send slot; return ``(slot, now)`` in epoch seconds.

    The caller commits (ending the row lock) and then waits ``slot - now`` seconds.
    """
    if cps <= 0:
        raise ValueError("cps must be positive")
    interval = 1.0 / cps
    dialect = session.get_bind().dialect.name
    clock = literal(float(now)) if now is not None else _database_now(dialect)
    start = case((SendSlot.next_free > clock, SendSlot.next_free), else_=clock)
    for _ in range(2):
        row = session.execute(
            update(SendSlot).where(SendSlot.campaign_id == campaign_id)
            .values(slot=start, next_free=start + interval)
            .returning(SendSlot.slot, clock)
            .execution_options(synchronize_session=False)).first()
        if row is not None:
            return float(row[0]), float(row[1])
        # First reservation of this campaign: create its row (a racing worker may have
        # done so meanwhile; then the UPDATE above is repeated against that row).
        insert = dialect_insert(dialect)
        created = session.execute(
            insert(SendSlot).values(campaign_id=campaign_id, slot=clock,
                                    next_free=clock + interval)
            .on_conflict_do_nothing(index_elements=["campaign_id"])
            .returning(SendSlot.slot, clock)).first()
        if created is not None:
            return float(created[0]), float(created[1])
    raise RuntimeError(f"no send slot row for campaign {campaign_id}")  # pragma: no cover
