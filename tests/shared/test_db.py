"""shared.db: a pooled connection that the server dropped while it sat idle is replaced
before use; one in steady use is not pinged."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from shared.db import make_engine, ping_idle_connections
from tests.conftest import database_url_for


def _engine(idle_seconds: float, monkeypatch):
    """An engine on the survey test database whose pings count themselves."""
    url = database_url_for("survey")
    if url.startswith("postgresql"):
        engine = make_engine(url, ping_after_s=idle_seconds)
    else:  # make_engine leaves SQLite alone (a file is never dropped); test the mechanism
        engine = create_engine(url)
        ping_idle_connections(engine, idle_seconds)
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping",
                        lambda connection: pings.append(1) or ping(connection))
    return engine, pings


def _drop(engine) -> None:
    """Close the idle pooled connection behind the pool's back, as a server restart
    would."""
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
    if engine.dialect.name == "postgresql":
        admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"),
                          {"pid": raw.info.backend_pid})
        admin.dispose()
    else:
        raw.close()


def test_a_dropped_idle_connection_is_replaced_before_use(monkeypatch):
    engine, pings = _engine(0.0, monkeypatch)
    _drop(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    assert pings  # the checkout pinged, the ping failed, the pool reconnected
    engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(monkeypatch):
    engine, pings = _engine(3600.0, monkeypatch)
    for _ in range(5):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []
    # …which is why a drop is then noticed on use, not before it (the pool replaces the
    # connection after the error, so the next checkout works)
    _drop(engine)
    with pytest.raises(DBAPIError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_only_a_connection_that_was_checked_in_is_pinged(monkeypatch):
    engine, pings = _engine(0.0, monkeypatch)
    with engine.connect():
        pass  # a new connection: nothing to check
    assert pings == []
    with engine.connect():
        pass  # back from the pool: pinged (idle at least 0 s)
    assert len(pings) == 1
    engine.dispose()


def _models():
    import importlib

    for service in ("survey", "scoring", "inspection"):
        base = importlib.import_module(f"services.{service}.models").Base
        yield service, base


def test_every_timestamp_column_reads_back_utc():
    from sqlalchemy import DateTime

    from shared.db import UTCDateTime

    columns = [(table.name, column.name, column.type)
               for _service, base in _models() for table in base.metadata.sorted_tables
               for column in table.columns
               if isinstance(column.type, DateTime | UTCDateTime)]
    assert len(columns) > 40
    assert [c[:2] for c in columns if not isinstance(c[2], UTCDateTime)] == []


def test_timestamps_read_the_same_on_both_databases(engines):
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from services.survey.models import IdempotencyRecord

    local = datetime(2026, 6, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    with Session(engines["survey"]) as session:
        session.add_all([
            IdempotencyRecord(scope="t", key="aware", request_hash="h", status_code=201,
                              response={}, created_at=local),
            IdempotencyRecord(scope="t", key="naive", request_hash="h", status_code=201,
                              response={}, created_at=datetime(2026, 6, 1, 0, 30))])
        session.commit()
    with Session(engines["survey"]) as session:
        read = dict(session.execute(select(IdempotencyRecord.key,
                                           IdempotencyRecord.created_at)).all())
        since = session.scalars(select(IdempotencyRecord.key).where(
            IdempotencyRecord.created_at > datetime(2026, 6, 1, 0, 15, tzinfo=UTC))).all()
    assert read == {"aware": datetime(2026, 6, 1, 0, 30, tzinfo=UTC),
                    "naive": datetime(2026, 6, 1, 0, 30, tzinfo=UTC)}
    assert all(value.utcoffset() == timedelta(0) for value in read.values())
    assert sorted(since) == ["aware", "naive"]


def test_insert_unless_present_says_whether_the_row_went_in(engines):
    from sqlalchemy.orm import Session

    from services.survey.models import IdempotencyRecord
    from shared.db import insert_unless_present, utcnow

    row = {"scope": "t", "key": "once", "request_hash": "h", "status_code": 201,
           "response": {}, "created_at": utcnow()}
    with Session(engines["survey"]) as session:
        assert insert_unless_present(session, IdempotencyRecord, row, ["scope", "key"])
        assert not insert_unless_present(session, IdempotencyRecord, row, ["scope", "key"])
        session.commit()


def test_get_or_404_names_the_missing_row(engines):
    from sqlalchemy.orm import Session

    from services.survey.models import IdempotencyRecord
    from shared.db import get_or_404
    from shared.errors import NotFound

    with Session(engines["survey"]) as session:
        with pytest.raises(NotFound) as caught:
            get_or_404(session, IdempotencyRecord, 999)
        assert caught.value.message == "IdempotencyRecord 999 not found"
        with pytest.raises(NotFound) as caught:
            get_or_404(session, IdempotencyRecord, 999, name="Record")
        assert caught.value.message == "Record 999 not found"
