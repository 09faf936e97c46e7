"""The two database modes of a test (tests/conftest.py): ``TestDatabases`` (a test's
connections, rolled back or on the real engines) and ``ModuleBase`` (rows loaded once for
a module's rolled-back tests), with the PostgreSQL sequence bookkeeping they need."""

from __future__ import annotations

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

SERVICES = ("survey", "scoring", "inspection", "portal")


def _savepoint_engine(engine):
    """An engine on the same database whose one connection can hold an outer transaction
    with SAVEPOINTs inside. On SQLite this needs pysqlite's own transaction handling off
    and BEGIN emitted by SQLAlchemy (the documented pysqlite recipe); PostgreSQL's real
    engine does it as it is."""
    if engine.dialect.name != "sqlite":
        return engine
    from shared.db import _sqlite_pragmas

    rollback = create_engine(engine.url, poolclass=StaticPool,
                             connect_args={"check_same_thread": False, "timeout": 10})

    @event.listens_for(rollback, "connect")
    def _connect(dbapi_connection, record):
        _sqlite_pragmas(dbapi_connection, record)
        dbapi_connection.isolation_level = None

    @event.listens_for(rollback, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    return rollback


class TestDatabases:
    """The databases of one test: in rollback mode a connection per service with an
    outer transaction, in commits mode the real engines. ``sessions(service)`` is the
    sessionmaker the test's apps use; ``touched`` the services whose real engine the
    test used (emptied afterwards)."""

    __test__ = False

    def __init__(self, engines: dict, rollback_engines: dict, sequences: dict,
                 rollback: bool, base: ModuleBase | None = None):
        self.engines = engines
        self.rollback = rollback
        self.base = base
        self._rollback_engines = rollback_engines
        self._sequences = sequences
        self._open: dict[str, tuple] = {}

    def sessions(self, service: str) -> sessionmaker:
        if not self.rollback:
            return sessionmaker(bind=self.engines[service], expire_on_commit=False)
        if self.base is None:
            return self._factory(service)

        def session(**kwargs):
            # Decided at the first session: rows a module base loads before it are kept.
            return self._factory(service)(**kwargs)

        return session

    def _factory(self, service: str) -> sessionmaker:
        if service not in self._open:
            if self.base is not None and self.base.holds(service):
                # A SAVEPOINT of this test on the base's connection, rolled back after it.
                connection = self.base.connection(service)
                outer = connection.begin_nested()
            else:
                already = service in _TOUCHED
                connection = self._rollback_engines[service].connect()
                if not already:  # on PostgreSQL this is a checkout of the real engine
                    _TOUCHED.discard(service)
                outer = connection.begin()
            factory = sessionmaker(bind=connection, expire_on_commit=False,
                                   join_transaction_mode="create_savepoint")
            self._open[service] = (connection, outer, factory)
        return self._open[service][2]

    def close(self) -> None:
        for service, (connection, outer, _factory) in self._open.items():
            outer.rollback()
            if self.base is not None and self.base.holds(service):
                self.base.restore_sequences(service)
                continue
            connection.close()
            if service in self._sequences:
                _reset_sequences(self.engines[service], self._sequences[service])
        self._open.clear()

    def began(self, service: str) -> bool:
        return service in self._open


class ModuleBase:
    """Rows loaded once for the rolled-back tests of a module (fixture ``module_base``):
    ``load(name, loader)`` runs ``loader(sessions)`` the first time, in an outer
    transaction of its own per service, and each rolled-back test of the module then runs
    in a SAVEPOINT on that connection, rolled back after it; PostgreSQL's sequences are
    set back to where the load left them. Commits-mode tests load for themselves."""

    def __init__(self, engines: dict, rollback_engines: dict, sequences: dict):
        self._databases = TestDatabases(engines, rollback_engines, sequences, rollback=True)
        self._engines = engines
        self._sequences = sequences
        self._states: dict[str, list] = {}
        self.values: dict[str, object] = {}
        self.test: TestDatabases | None = None

    def holds(self, service: str) -> bool:
        return service in self._databases._open

    def connection(self, service: str):
        return self._databases._open[service][0]

    def load(self, name: str, loader):
        if name not in self.values:
            if self.test is not None and any(self.test.began(s) for s in SERVICES):
                raise RuntimeError(f"module_base.load({name!r}) after the test's first "
                                   "session: request the fixture before the apps are used")
            value = loader(self._databases.sessions)
            for service in list(self._databases._open):
                self._states[service] = _sequence_states(self._databases._open[service][0],
                                                         self._sequences.get(service, []))
            self.values[name] = value
            _OPEN_BASES.add(id(self))
        return self.values[name]

    def restore_sequences(self, service: str) -> None:
        states = self._states.get(service)
        if states:
            with self._engines[service].begin() as connection:
                connection.execute(text("SELECT " + ", ".join(
                    f"setval('{name}', {value}, {called})" for name, value, called in states)))

    def close(self) -> None:
        _OPEN_BASES.discard(id(self))
        self._databases.close()


def _reset_sequences(engine, names: list[str]) -> None:
    """Rolled-back inserts still advance PostgreSQL's sequences: start them at 1 again,
    so that every test sees the ids a fresh database gives."""
    if names:
        with engine.begin() as connection:
            connection.execute(text("SELECT " + ", ".join(
                f"setval('{name}', 1, false)" for name in names)))


def _sequence_states(connection, names: list[str]) -> list[tuple]:
    """(name, last_value, is_called) of each sequence, read on ``connection``."""
    return [(name, *connection.execute(text(
        f"SELECT last_value, is_called FROM {name}")).one()) for name in names]


def _sequences_of(engine) -> list[str]:
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        return [f'"{schema}"."{name}"' for schema, name in connection.execute(text(
            "SELECT sequence_schema, sequence_name FROM information_schema.sequences"))]


# The services whose real engine the running test checked a connection out of.
_TOUCHED: set[str] = set()
# The ModuleBase objects holding loaded rows in an open transaction.
_OPEN_BASES: set[int] = set()
