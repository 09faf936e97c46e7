"""Fixtures for every test: one migrated database per service, apps, clients, tokens.

``make test`` runs on SQLite files in a temporary folder. With ``KAOPING_TEST_PG`` set
(for example ``postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_test``), each
service gets the PostgreSQL database ``<that>_<service>``, created when missing and
emptied at the start. Tables are emptied after every test.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

import pytest

SERVICES = ("survey", "scoring", "inspection", "portal")
_TMP = Path(tempfile.mkdtemp(prefix="kaoping-tests-"))


def pytest_configure(config):
    os.environ["KAOPING_ENV"] = "test"
    os.environ["KAOPING_VAR_DIR"] = str(_TMP / "var")
    os.environ.setdefault("KAOPING_LOG_LEVEL", "WARNING")
    for service in SERVICES:
        os.environ.pop(f"{service.upper()}_DATABASE_URL", None)


def _pg_url(service: str) -> str | None:
    base = os.environ.get("KAOPING_TEST_PG")
    return f"{base}_{service}" if base else None


def _recreate_pg(url: str) -> None:
    from sqlalchemy import create_engine, text
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
    """service -> Engine, migrated to head once per test session."""
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


def _empty(engine, metadata) -> None:
    from sqlalchemy import text

    tables = [t for t in reversed(metadata.sorted_tables)]
    if not tables:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_tables(request):
    yield
    if "engines" not in request.fixturenames:
        return
    engines = request.getfixturevalue("engines")
    for service in SERVICES:
        models = importlib.import_module(f"services.{service}.models")
        _empty(engines[service], models.Base.metadata)


@pytest.fixture
def make_app(engines):
    """make_app(service, **config) -> a Flask app on the test database of that service."""

    def build(service: str, **config):
        module = importlib.import_module(f"services.{service}.app")
        return module.create_app({"TESTING": True, "ENGINE": engines[service], **config})

    return build


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
