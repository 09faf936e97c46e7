"""/healthz, /readyz (503 when the database is down or a migration is pending)."""

import pytest

from shared.db import make_engine
from shared.migrations import service_migrations_dir, upgrade

SERVICES = ("survey", "scoring", "inspection")


@pytest.mark.parametrize("service", SERVICES)
def test_healthz_and_readyz_ok(make_app, service):
    client = make_app(service).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "service": service}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_readyz_503_when_database_unreachable(make_app):
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = make_app("survey", ENGINE=dead).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("unreachable")
    dead.dispose()


def test_readyz_503_when_a_migration_is_pending(make_app, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.sqlite3'}")
    client = make_app("scoring", ENGINE=engine).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "pending"
    upgrade(engine, service_migrations_dir("scoring"))
    assert client.get("/readyz").status_code == 200
    engine.dispose()


def test_api_answers_503_envelope_when_database_down(make_app, auth):
    from shared.db import db_session

    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = make_app("survey", ENGINE=dead)

    @app.get("/api/v1/db-probe")
    def probe():
        from sqlalchemy import text

        db_session().execute(text("SELECT 1"))
        return {"ok": True}

    probe._kaoping_roles = frozenset({"admin"})
    response = app.test_client().get("/api/v1/db-probe", headers=auth("admin"))
    assert response.status_code == 503
    assert response.get_json()["message"] == "Database unavailable"
    dead.dispose()


def test_readyz_503_while_another_connection_holds_the_write_lock(make_app, engines):
    """SQLite: a write lock held elsewhere (a long import, a stuck process) makes every
    write wait and fail; /readyz says so within about a second, and recovers."""
    import sqlite3
    import time

    from sqlalchemy import create_engine

    engine = engines["survey"]
    if engine.dialect.name == "postgresql":  # the equivalent: a session that cannot write
        read_only = create_engine(engine.url, connect_args={
            "options": "-c default_transaction_read_only=on"})
        response = make_app("survey", ENGINE=read_only).test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["database"] == "read-only"
        read_only.dispose()
        return
    client = make_app("survey").test_client()
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        response = client.get("/readyz")
        assert time.monotonic() - started < 5
        assert response.status_code == 503
        assert response.get_json()["checks"]["database"].startswith("locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/readyz").status_code == 200
