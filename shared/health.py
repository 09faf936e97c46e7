"""``/healthz`` (process alive) and ``/readyz`` (database reachable, migrations at head)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from shared.migrations import at_head

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok", service=current_app.name)


@blp.get("/readyz")
def readyz():
    state = current_app.extensions["kaoping"]
    checks: dict[str, str] = {}
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = "ok" if at_head(state.engine, state.migrations_dir) else "pending"
    except Exception as exc:  # any driver error means "not ready", never a 500
        checks.setdefault("database", f"unreachable: {exc.__class__.__name__}")
    ready = all(value == "ok" for value in checks.values()) and "migrations" in checks
    response = jsonify(status="ready" if ready else "not ready", service=current_app.name,
                       checks=checks)
    response.status_code = 200 if ready else 503
    return response
