"""``/healthz`` (process alive) and ``/readyz`` (database writable, migrations at head)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.engine import Engine

from shared.db import SQLITE_BUSY_TIMEOUT_MS
from shared.migrations import at_head

blp = Blueprint("health", __name__)

# How long /readyz waits for the database to take a write before answering 503.
WRITE_WAIT_MS = 1000


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok", service=current_app.name)


@blp.get("/readyz")
def readyz():
    state = current_app.extensions["kaoping"]
    checks: dict[str, str] = {}
    try:
        checks["database"] = database_check(state.engine)
        checks["migrations"] = "ok" if at_head(state.engine, state.migrations_dir) else "pending"
    except Exception as exc:  # any driver error means "not ready", never a 500
        checks.setdefault("database", f"unreachable: {exc.__class__.__name__}")
    ready = all(value == "ok" for value in checks.values()) and "migrations" in checks
    response = jsonify(status="ready" if ready else "not ready", service=current_app.name,
                       checks=checks)
    response.status_code = 200 if ready else 503
    return response


def database_check(engine: Engine, wait_ms: int = WRITE_WAIT_MS) -> str:
    """``"ok"`` when the database would take a write now, else the reason.

    SQLite: ``BEGIN IMMEDIATE`` (the write lock) within ``wait_ms``, rolled back, so that
    a lock held elsewhere shows as ``"locked"``. PostgreSQL: a round trip and a session
    that is not read-only (a standby or ``default_transaction_read_only``).
    Raises the driver's error when the database cannot be reached.
    """
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            read_only = connection.execute(text("SHOW transaction_read_only")).scalar()
        return "ok" if read_only == "off" else "read-only"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
        try:
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("ROLLBACK")
            return "ok"
        except engine.dialect.loaded_dbapi.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return "locked: another connection holds the write lock"
        finally:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()
    finally:
        raw.close()
