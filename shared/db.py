"""SQLAlchemy 2 engine and per-request session, the same code on SQLite and PostgreSQL.

The request boundary commits: a response below 400 commits the request's session,
anything else rolls it back. Data-access code adds to the session and never commits.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

from flask import current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event, literal_column
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from shared.config import DatabaseSettings
from shared.errors import NotFound, error_response, new_error_id

log = logging.getLogger("kaoping.db")

# Stable constraint names, so that Alembic autogenerate and batch mode name them alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A MetaData with the house naming convention; one per service."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class ServiceBase(DeclarativeBase):
    """Abstract root; each service subclasses it with its own ``metadata``."""

    __abstract__ = True


def utcnow() -> datetime:
    """Timezone-aware UTC now; every timestamp Kaoping stores is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that reads back timezone-aware UTC on every database.

    PostgreSQL's ``timestamptz`` returns aware values; SQLite stores text without an
    offset and SQLAlchemy returns it naive. Values are written as UTC (a naive value is
    taken to be UTC already) and a naive value read back gets UTC attached, so that an
    API answers ``…+00:00`` on both. The column is ``DateTime(timezone=True)``, as the
    migrations created it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


# How long a SQLite write waits for another connection's write lock.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10,
                ping_after_s: float = 10.0) -> Engine:
    """Create the engine: SQLite with WAL and foreign keys, PostgreSQL with a pool of
    ``pool_size`` connections (and ``max_overflow`` more under load) per process.

    A pooled PostgreSQL connection that sat idle for ``ping_after_s`` seconds is pinged
    before use and replaced if the server dropped it.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )
    ping_idle_connections(engine, ping_after_s)
    return engine


def engine_for(settings: DatabaseSettings) -> Engine:
    """``make_engine`` with a service's database settings (``CommonSettings.database``)."""
    return make_engine(settings.url, pool_size=settings.pool_size,
                       max_overflow=settings.max_overflow, ping_after_s=settings.ping_after_s)


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling for connections idle longer than ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip on every
    request, which the busy webhook path cannot afford. A connection in steady use has
    just been checked in and is live; one that sat idle may have been dropped (server
    restart, idle timeout), so it is pinged, and a failed ping raises DisconnectionError,
    on which the pool replaces the connection and tries again.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def dialect_insert(dialect: str):
    """The ``insert`` construct with ``on_conflict_do_nothing``/``on_conflict_do_update``
    for the dialect name: PostgreSQL's or SQLite's."""
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


def insert_unless_present(session: Session | Connection, model, values: Mapping,
                          unique: Sequence[str]) -> bool:
    """``INSERT … ON CONFLICT (unique) DO NOTHING``; True when the row was inserted.

    Two copies of one write racing each other: the second waits for the first to
    commit and then inserts nothing, without aborting its transaction. The statement
    is built once per table, columns and dialect (hot webhook paths call this).
    """
    connection = session.connection() if isinstance(session, Session) else session
    dialect = connection.dialect.name
    key = (dialect, model.__table__, tuple(values), tuple(unique))
    statement = _INSERTS.get(key)
    if statement is None:
        # RETURNING says whether a row went in: with SQLAlchemy's implicit RETURNING on
        # PostgreSQL the rowcount is -1 either way.
        statement = _INSERTS[key] = dialect_insert(dialect)(model.__table__).on_conflict_do_nothing(
            index_elements=list(unique)).returning(literal_column("1"))
    return connection.execute(statement, dict(values)).first() is not None


_INSERTS: dict[tuple, object] = {}


def get_or_404(session: Session, model, ident, *, name: str | None = None,
               message: str | None = None):
    """``session.get(model, ident)``, or NotFound ("<name> <ident> not found", or
    ``message``) when there is no such row. ``name`` defaults to the model's class name."""
    found = session.get(model, ident)
    if found is None:
        raise NotFound(message or f"{name or model.__name__} {ident} not found")
    return found


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work outside a request (CLI, workers): commit on success, else roll back."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def db_session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["kaoping"].sessions()
    return g.db_session


def init_request_sessions(app) -> None:
    """Commit below 400, roll back otherwise, always close.

    A commit that fails (a constraint, the database gone) replaces the response with
    the error envelope, logged like any error: 409, 503 or a 500 with an error id.
    """

    @app.after_request
    def _commit(response):
        session = g.pop("db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        except Exception as exc:  # every failure is answered with the envelope
            _discard(session)
            return error_response(exc)
        session.close()
        return response

    @app.teardown_request
    def _close(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            _discard(session)


def _discard(session: Session) -> None:
    """Roll back and close; a connection that fails even that is logged and dropped."""
    try:
        session.rollback()
        session.close()
    except Exception:  # the response is decided already; the pool replaces the connection
        error_id = new_error_id()
        log.error("rollback failed %s", error_id, exc_info=True, extra={"error_id": error_id})
        session.invalidate()
