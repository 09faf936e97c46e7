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
        monkeypatch.setenv("KAOPING_DB_PING_AFTER_SECONDS", str(idle_seconds))
        engine = make_engine(url)
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


def test_insert_unless_present_says_whether_it_inserted(engines):
    """On PostgreSQL, SQLAlchemy 2.1 no longer keeps an INSERT's row count unless asked:
    ``insert_unless_present`` said True for a row that was there, so the second of two
    racing copies believed it had won (found by bench/chaos.py)."""
    from datetime import UTC, datetime

    from services.survey.models import IdempotencyRecord
    from shared.db import insert_unless_present

    values = {"scope": "test", "key": "once", "request_hash": "h", "status_code": 200,
              "response": {}, "created_at": datetime.now(UTC)}
    with engines["survey"].connect() as connection:
        assert insert_unless_present(connection, IdempotencyRecord, values, ["scope", "key"])
        assert not insert_unless_present(connection, IdempotencyRecord, values,
                                         ["scope", "key"])
        connection.rollback()
