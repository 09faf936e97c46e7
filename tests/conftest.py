"""Fixtures for every test: one migrated database per service, apps, clients, tokens.

``make test`` runs on SQLite files in a temporary folder. With ``KAOPING_TEST_PG`` set
(for example ``postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_test``), each
service gets the PostgreSQL database ``<that>_<service>`` (``<that>_gw0_<service>`` and
so on per pytest-xdist worker), created afresh at the start.

A test runs in one of two modes (docs/DEVELOPING.md, "Tests"):

- **rollback** (the default): the apps' sessions are bound to one connection per
  service whose outer transaction is rolled back after the test (SQLAlchemy's "join a
  session into an external transaction" recipe: a request's commit releases a
  SAVEPOINT); nothing is written, nothing has to be emptied.
- **commits**: the test needs real commits (several connections or threads, served apps,
  processes, direct use of the ``engines`` fixture), so it runs on the real engines and
  the tables it touched are emptied afterwards. Tests under ``COMMITTING_FOLDERS``, tests
  marked ``commits`` and tests that use ``engines`` (themselves or through one of their
  fixtures) run so.

Apps are built once per service and configuration (``make_app``) and reused; a test's
changes to ``app.config`` and ``app.extensions`` are undone after it. A configuration
value that is not a plain value (a clock, a function), or the marker ``fresh_apps``,
builds a new app for the test.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from tests.databases import (
    _OPEN_BASES,
    _TOUCHED,
    SERVICES,
    ModuleBase,
    TestDatabases,
    _savepoint_engine,
    _sequences_of,
)

# Their tests start processes, serve apps over HTTP or drive the whole suite.
COMMITTING_FOLDERS = ("demo", "e2e", "bench", "cli")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_TMP = Path(tempfile.mkdtemp(prefix=f"kaoping-tests-{_WORKER}-" if _WORKER else "kaoping-tests-"))
# Fixtures that give a test its databases without it needing commits.
_BASE_FIXTURES = {"engines", "_rollback_setup", "databases", "module_base", "make_app",
                  "survey_app", "scoring_app", "inspection_app", "survey_client",
                  "scoring_client", "inspection_client"}
_PRIMITIVE = (str, int, float, bool, type(None), bytes)


def pytest_configure(config):
    os.environ["KAOPING_ENV"] = "test"
    os.environ["KAOPING_VAR_DIR"] = str(_TMP / "var")
    os.environ.setdefault("KAOPING_LOG_LEVEL", "WARNING")
    for service in SERVICES:
        os.environ.pop(f"{service.upper()}_DATABASE_URL", None)
    config.addinivalue_line("markers", "commits: the test needs real commits (see conftest)")
    config.addinivalue_line("markers", "fresh_apps: the test builds its own apps (no reuse)")


def _needs_commits(item) -> bool:
    if item.get_closest_marker("commits"):
        return True
    if "engines" in item._fixtureinfo.argnames:
        return True
    for name, definitions in item._fixtureinfo.name2fixturedefs.items():
        if name in _BASE_FIXTURES:
            continue
        if any("engines" in definition.argnames for definition in definitions):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parent
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(root).parts
        if any(folder in parts[:-1] for folder in COMMITTING_FOLDERS) or parts[-1].endswith(
                "browser.py"):  # a browser asks a served app for several things at once
            item.add_marker(pytest.mark.commits)
        elif _needs_commits(item):
            item.add_marker(pytest.mark.commits)
    # The committing tests start processes and servers and take most of the time: first,
    # so that on several workers (make test) no long one is left for the end alone.
    items.sort(key=lambda item: item.get_closest_marker("commits") is None)


def _pg_url(service: str) -> str | None:
    base = os.environ.get("KAOPING_TEST_PG")
    if not base:
        return None
    return f"{base}_{_WORKER}_{service}" if _WORKER else f"{base}_{service}"


def _recreate_pg(url: str) -> None:
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": target.database})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def database_url_for(service: str) -> str:
    return _pg_url(service) or f"sqlite:///{_TMP / (service + '.sqlite3')}"


@pytest.fixture(scope="session")
def engines():
    """service -> Engine, migrated to head once per test session (real commits)."""
    from shared.db import make_engine
    from shared.migrations import service_migrations_dir, upgrade

    made = {}
    for service in SERVICES:
        url = database_url_for(service)
        if url.startswith("postgresql"):
            _recreate_pg(url)
        engine = make_engine(url)
        upgrade(engine, service_migrations_dir(service))
        made[service] = engine
    yield made
    for engine in made.values():
        engine.dispose()




@pytest.fixture(scope="session")
def _rollback_setup(engines):
    """Per service: the engine rollback-mode connections come from, and the sequences
    to reset; a checkout listener that records which real engines a test used."""
    for service, engine in engines.items():
        event.listen(engine, "checkout",
                     lambda *_args, _service=service: _TOUCHED.add(_service))
    rollback = {service: _savepoint_engine(engine) for service, engine in engines.items()}
    sequences = {service: _sequences_of(engine) for service, engine in engines.items()}
    yield rollback, sequences
    for service, engine in rollback.items():
        if engine is not engines[service]:
            engine.dispose()


def _empty(engine, metadata) -> None:
    tables = list(reversed(metadata.sorted_tables))
    if not tables:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def databases(request, engines, _rollback_setup):
    """This test's ``TestDatabases`` (rollback or commits mode, see the module doc)."""
    rollback_engines, sequences = _rollback_setup
    rollback = not request.node.get_closest_marker("commits")
    if not rollback and _OPEN_BASES:
        raise RuntimeError("a commits-mode test ran while a module's loaded rows were open")
    base = request.getfixturevalue("module_base") if (
        rollback and "module_base" in request.fixturenames) else None
    found = TestDatabases(engines, rollback_engines, sequences, rollback=rollback, base=base)
    if base is not None:
        base.test = found
    _TOUCHED.clear()
    yield found
    touched = set(_TOUCHED)
    found.close()
    for service in sorted(touched):
        models = importlib.import_module(f"services.{service}.models")
        _empty(engines[service], models.Base.metadata)
    _TOUCHED.clear()


@pytest.fixture(scope="module")
def module_base(engines, _rollback_setup):
    """The module's ``ModuleBase``: nothing is opened until a rolled-back test loads."""
    base = ModuleBase(engines, *_rollback_setup)
    yield base
    base.close()


@pytest.fixture(autouse=True)
def _empty_after_commits(request):
    """Tests that use ``engines`` without ``databases`` (no app) are emptied too."""
    yield
    if "engines" in request.fixturenames and "databases" not in request.fixturenames:
        engines = request.getfixturevalue("engines")
        for service in SERVICES:
            models = importlib.import_module(f"services.{service}.models")
            _empty(engines[service], models.Base.metadata)


_APPS: dict[tuple, object] = {}


def _cache_key(service: str, config: dict) -> tuple | None:
    if not all(isinstance(value, _PRIMITIVE) for value in config.values()):
        return None
    return (service, tuple(sorted(config.items())), frozenset(os.environ.items()))


@pytest.fixture
def make_app(request, databases):
    """make_app(service, **config) -> a Flask app on the test database of that service.

    An app is reused by later tests with the same service, configuration and
    environment; its config and extensions are restored after each test. ``ENGINE`` in
    ``config`` gives the app that engine and its own sessions."""
    fresh = request.node.get_closest_marker("fresh_apps") is not None
    restore: list[tuple] = []

    def build(service: str, **config):
        key = None if fresh or "ENGINE" in config else _cache_key(service, config)
        app = _APPS.get(key) if key else None
        if app is None:
            module = importlib.import_module(f"services.{service}.app")
            app = module.create_app({"TESTING": True, "ENGINE": databases.engines[service],
                                     **config})
            if key:
                _APPS[key] = app
        state = app.extensions["kaoping"]
        restore.append((app, dict(app.config), dict(app.extensions), state.sessions))
        if "ENGINE" not in config:
            state.sessions = databases.sessions(service)
        return app

    yield build
    for app, config, extensions, sessions in reversed(restore):
        app.config.clear()
        app.config.update(config)
        app.extensions.clear()
        app.extensions.update(extensions)
        app.extensions["kaoping"].sessions = sessions


@pytest.fixture
def survey_app(make_app):
    return make_app("survey")


@pytest.fixture
def scoring_app(make_app):
    return make_app("scoring")


@pytest.fixture
def inspection_app(make_app):
    return make_app("inspection")


@pytest.fixture
def survey_client(survey_app):
    return survey_app.test_client()


@pytest.fixture
def scoring_client(scoring_app):
    return scoring_app.test_client()


@pytest.fixture
def inspection_client(inspection_app):
    return inspection_app.test_client()


@pytest.fixture
def auth():
    """auth(role, unit=None, sub=None) -> headers with a valid bearer token."""
    from shared.auth import issue_token

    def headers(role: str, unit: str | None = None, sub: str | None = None) -> dict:
        token = issue_token(sub or f"test-{role}", role, unit)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The golden reference data: ``tests/data/golden`` (a copy of ../shared/data/golden)."""
    root = Path(__file__).resolve().parent.parent
    for candidate in (root / "tests" / "data" / "golden",
                      root.parent / "shared" / "data" / "golden"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("golden data not found in tests/data/golden or ../shared/data/golden")
