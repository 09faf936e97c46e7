"""The self-check foreign keys (unit, period) hold on both databases: SQLite's own
constraints, PostgreSQL's statement-level triggers of scoring_0007 that replaced the
per-row constraints. An orphan row is refused whichever way it is written (COPY of
the import, a plain INSERT, an UPDATE of a key), and a referenced unit or period
cannot be deleted; what does not break the rule still works."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from psycopg import errors as pg_errors
from sqlalchemy import exc, select, text
from sqlalchemy.orm import Session

from services.scoring.bulk_insert import bulk_insert
from services.scoring.models.periods import Period
from services.scoring.models.registry import Unit
from services.scoring.self_checks import COLUMNS

REFUSED = (exc.IntegrityError, pg_errors.ForeignKeyViolation)


def _world(session: Session) -> tuple[int, int, int]:
    """Two units and a period; returns (unit id, spare unit id, period id)."""
    units = [Unit(code=code, name_zh=code, name_en=code, kind="department")
             for code in ("K1", "K2")]
    period = Period(code="2031-01", kind="month", starts_on=date(2031, 1, 1),
                    ends_on=date(2031, 1, 31))
    session.add_all([*units, period])
    session.flush()
    return units[0].id, units[1].id, period.id


def _row(unit_id: int, period_id: int, indicator: str = "i1") -> tuple:
    values = {"unit_id": unit_id, "indicator": indicator, "version": 1, "target": 1.0,
              "actual": 2.0, "unit_of_measure": "%", "narrative": "", "evidence": "[]",
              "submitted_at": datetime(2031, 1, 5, tzinfo=UTC), "late": False,
              "reason": None, "period_id": period_id, "is_current": True,
              "submitted_by": "test"}
    return tuple(values[c] for c in COLUMNS)


def _count(session: Session) -> int:
    return session.scalar(text("SELECT count(*) FROM self_checks"))


@pytest.mark.parametrize("bad", ["unit", "period"])
def test_an_orphan_row_is_refused_in_a_bulk_insert(engines, bad):
    with Session(engines["scoring"]) as session:
        unit, _spare, period = _world(session)
        rows = [_row(unit, period, f"i{k}") for k in range(50)]
        orphan = _row(unit + 1000, period, "x") if bad == "unit" else _row(unit, period + 1000, "x")
        more = [_row(unit, period, f"j{k}") for k in range(3)]
        with session.begin_nested():
            bulk_insert(session, "self_checks", COLUMNS, rows)
        assert _count(session) == 50
        with pytest.raises(REFUSED, match="foreign key|FOREIGN KEY"):
            with session.begin_nested():  # refused wherever it stands in the statement
                bulk_insert(session, "self_checks", COLUMNS, [*more, orphan])
        assert _count(session) == 50
        session.rollback()


def test_a_plain_insert_and_an_update_of_a_key_are_checked(engines):
    with Session(engines["scoring"]) as session:
        unit, spare, period = _world(session)
        insert = text(f"INSERT INTO self_checks ({', '.join(COLUMNS)}) "
                      f"VALUES ({', '.join(':' + c for c in COLUMNS)})")
        session.execute(insert, [dict(zip(COLUMNS, _row(unit, period), strict=True))])
        with pytest.raises(exc.IntegrityError), session.begin_nested():
            session.execute(insert, [dict(zip(COLUMNS, _row(unit, period + 7), strict=True))])
        with pytest.raises(exc.IntegrityError), session.begin_nested():
            session.execute(text("UPDATE self_checks SET unit_id = unit_id + 1000"))
        with session.begin_nested():  # another existing unit, and a non-key column
            session.execute(text("UPDATE self_checks SET unit_id = :u, is_current = false"),
                            {"u": spare})
        assert session.execute(text("SELECT unit_id, is_current FROM self_checks")).all() == [
            (spare, False)]
        session.rollback()


def test_a_referenced_unit_or_period_cannot_be_deleted(engines):
    with Session(engines["scoring"]) as session:
        unit, spare, period = _world(session)
        bulk_insert(session, "self_checks", COLUMNS, [_row(unit, period)])
        for table, key in (("units", unit), ("periods", period)):
            with pytest.raises(exc.IntegrityError), session.begin_nested():
                session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": key})
        with pytest.raises(exc.IntegrityError), session.begin_nested():
            session.execute(text("UPDATE units SET id = id + 1000 WHERE id = :id"), {"id": unit})
        with session.begin_nested():  # unreferenced: deleted; a referenced one renamed
            session.execute(text("DELETE FROM units WHERE id = :id"), {"id": spare})
            session.execute(text("UPDATE units SET code = 'K9' WHERE id = :id"), {"id": unit})
        assert session.scalars(select(Unit.code).where(Unit.code.like("K%"))).all() == ["K9"]
        session.rollback()
