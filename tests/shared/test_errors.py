"""The error envelope for every kind of error."""

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.auth import roles
from shared.errors import Conflict

SERVICES = ("survey", "scoring", "inspection")


class _Body(Schema):
    name = fields.String(required=True)
    count = fields.Integer(required=True)


def _app_with_probe(make_app, service="scoring", **config):
    app = make_app(service, **config)
    blp = Blueprint("probe", __name__)

    @blp.route("/probe")
    class Probe(MethodView):
        @roles("analyst")
        @blp.arguments(_Body)
        @blp.response(200, _Body)
        def post(self, body):
            if body["name"] == "boom":
                raise RuntimeError("secret internal detail")
            if body["name"] == "taken":
                raise Conflict("Name already taken", {"name": ["taken"]})
            return body

    app.extensions["kaoping"].api.register_blueprint(
        blp, url_prefix="/api/v1")
    return app


def _assert_envelope(response, status):
    body = response.get_json()
    assert response.status_code == status
    assert set(body) >= {"code", "status", "message", "errors"}
    assert body["code"] == status
    return body


@pytest.mark.parametrize("service", SERVICES)
def test_routing_404_and_405_use_the_envelope(make_app, service):
    client = make_app(service).test_client()
    _assert_envelope(client.get("/no/such/page"), 404)
    body = _assert_envelope(client.post("/healthz"), 405)
    assert body["status"] == "Method Not Allowed"


def test_malformed_json_is_400(make_app, auth):
    client = _app_with_probe(make_app).test_client()
    response = client.post("/api/v1/probe", data="{not json", headers={
        **auth("analyst"), "Content-Type": "application/json"})
    body = _assert_envelope(response, 400)
    assert "JSON" in body["message"]


def test_validation_is_422_with_field_errors(make_app, auth):
    client = _app_with_probe(make_app).test_client()
    response = client.post("/api/v1/probe", json={"name": "x", "count": "many"},
                           headers=auth("analyst"))
    body = _assert_envelope(response, 422)
    assert "count" in body["errors"]["json"]


def test_domain_conflict_is_409(make_app, auth):
    client = _app_with_probe(make_app).test_client()
    response = client.post("/api/v1/probe", json={"name": "taken", "count": 1},
                           headers=auth("analyst"))
    body = _assert_envelope(response, 409)
    assert body["errors"] == {"name": ["taken"]}


def test_oversize_body_is_413(make_app, auth):
    client = _app_with_probe(make_app, MAX_CONTENT_LENGTH=2048).test_client()
    response = client.post("/api/v1/probe", json={"name": "x" * 5000, "count": 1},
                           headers=auth("analyst"))
    _assert_envelope(response, 413)


def test_unexpected_exception_is_500_with_error_id_and_no_traceback(make_app, auth):
    client = _app_with_probe(make_app).test_client()
    response = client.post("/api/v1/probe", json={"name": "boom", "count": 1},
                           headers=auth("analyst"))
    body = _assert_envelope(response, 500)
    assert len(body["error_id"]) == 32
    assert body["error_id"] in body["message"]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret internal detail" not in text


def test_a_failed_request_rolls_back_its_writes(make_app, auth, engines):
    from sqlalchemy import func, select

    from services.scoring.models import IdempotencyRecord
    from shared.db import db_session
    from shared.idempotency import claim

    app = make_app("scoring")
    blp = Blueprint("writer", __name__)

    @blp.route("/writer/<int:status>")
    class Writer(MethodView):
        @roles("analyst")
        def post(self, status):
            claim(db_session(), IdempotencyRecord, "probe", f"k{status}", "hash")
            if status >= 400:
                raise Conflict("no")
            return {"ok": True}

    app.extensions["kaoping"].api.register_blueprint(
        blp, url_prefix="/api/v1")
    client = app.test_client()
    assert client.post("/api/v1/writer/200", headers=auth("analyst")).status_code == 200
    assert client.post("/api/v1/writer/409", headers=auth("analyst")).status_code == 409
    with engines["scoring"].connect() as connection:
        keys = connection.execute(select(IdempotencyRecord.key)).scalars().all()
        assert keys == ["k200"]
        assert connection.execute(select(func.count()).select_from(
            IdempotencyRecord.__table__)).scalar() == 1


def _commit_probe(make_app, failure):
    """The scoring app with ``POST /api/v1/commit-probe``, whose commit fails as
    ``failure(session)`` arranges."""
    from shared.db import db_session

    app = make_app("scoring")
    blp = Blueprint("commit_probe", __name__)

    @blp.route("/commit-probe")
    class CommitProbe(MethodView):
        @roles("analyst")
        @blp.response(201)
        def post(self):
            failure(db_session())
            return {"ok": True}

    app.extensions["kaoping"].api.register_blueprint(blp, url_prefix="/api/v1")
    return app


def _json_log_lines(text: str) -> list[dict]:
    import json

    assert "Traceback (most recent call last)" not in "\n".join(
        line for line in text.splitlines() if not line.startswith("{"))
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_commit_that_fails_is_a_500_envelope_with_an_error_id_in_a_json_log(
        make_app, auth, capfd):
    from sqlalchemy import event

    def fail_at_commit(session):
        @event.listens_for(session, "before_commit", once=True)
        def _refuse(_session):
            raise RuntimeError("secret commit detail")

    client = _commit_probe(make_app, fail_at_commit).test_client()
    response = client.post("/api/v1/commit-probe", headers=auth("analyst"))
    body = _assert_envelope(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    logged = [e for e in _json_log_lines(capfd.readouterr().err)
              if e.get("error_id") == body["error_id"]]
    assert logged and "secret commit detail" in logged[0]["exception"]


def test_a_commit_refused_by_a_constraint_is_a_409_envelope(make_app, auth, engines):
    from sqlalchemy import func, select

    from services.scoring.models import IdempotencyRecord

    def duplicate(session):
        for _ in range(2):  # flushed together at the commit: the unique constraint fails
            session.add(IdempotencyRecord(scope="probe", key="same", request_hash="h",
                                          status_code=201, response={}))

    client = _commit_probe(make_app, duplicate).test_client()
    response = client.post("/api/v1/commit-probe", headers=auth("analyst"))
    body = _assert_envelope(response, 409)
    assert len(body["error_id"]) == 32
    with engines["scoring"].connect() as connection:
        assert connection.execute(select(func.count()).select_from(
            IdempotencyRecord.__table__)).scalar() == 0


def test_an_error_after_the_view_is_a_500_envelope(make_app, auth, capfd):
    app = _app_with_probe(make_app, TESTING=False)

    @app.after_request
    def _broken(response):
        raise RuntimeError("secret after-request detail")

    response = app.test_client().post("/api/v1/probe", json={"name": "x", "count": 1},
                                      headers=auth("analyst"))
    body = _assert_envelope(response, 500)
    logged = [e for e in _json_log_lines(capfd.readouterr().err)
              if e.get("error_id") == body.get("error_id")]
    assert logged and "secret after-request detail" in logged[0]["exception"]


def test_an_error_escaping_flask_is_a_500_envelope(make_app, auth, capfd):
    import requests

    from tests.support import serving

    app = _app_with_probe(make_app)

    @app.teardown_request
    def _broken(_exc):
        raise RuntimeError("secret teardown detail")

    with serving(app) as url:  # a real server: the test client refuses a second start
        response = requests.post(f"{url}/api/v1/probe", json={"name": "x", "count": 1},
                                 headers=auth("analyst"), timeout=30)
    body = response.json()
    assert response.status_code == 500 and body["code"] == 500
    logged = [e for e in _json_log_lines(capfd.readouterr().err)
              if e.get("error_id") == body["error_id"]]
    assert logged and "secret teardown detail" in logged[0]["exception"]


def test_gunicorn_logs_json_lines(tmp_path):
    import subprocess
    import sys

    script = (
        "from gunicorn.config import Config\n"
        "from gunicorn.glogging import Logger\n"
        "from shared.gunicorn_settings import settings_for\n"
        "cfg = Config()\n"
        "for name, value in settings_for('survey').items():\n"
        "    cfg.set(name, value)\n"
        "log = Logger(cfg)\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    log.exception('Error handling request /x')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=60)
    (entry,) = _json_log_lines(done.stderr)
    assert entry["logger"] == "gunicorn.error" and entry["service"] == "survey"
    assert "ZeroDivisionError" in entry["exception"]


def test_the_drivers_own_operational_error_is_a_503_too(make_app, auth):
    """Hot paths that talk to the driver directly (the keypad answers, the COPY of a
    self-check import) get the driver's error, not SQLAlchemy's wrapper; a lost
    connection there was a 500 (found by bench/chaos.py with the database cut)."""
    app = make_app("survey")
    engine = app.extensions["kaoping"].engine
    # A statement after which the driver raises its OperationalError: PostgreSQL ends
    # the connection it runs on; SQLite cannot open a file in a missing folder.
    statement = ("SELECT pg_terminate_backend(pg_backend_pid())"
                 if engine.dialect.name == "postgresql"
                 else "ATTACH DATABASE '/nonexistent-folder/x.sqlite3' AS gone")

    @app.get("/api/v1/raw-probe")
    def raw_probe():
        with engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()
            cursor.execute(statement)
        return {"ok": True}

    raw_probe._kaoping_roles = frozenset({"admin"})
    response = app.test_client().get("/api/v1/raw-probe", headers=auth("admin"))
    body = _assert_envelope(response, 503)
    assert body["message"] == "Database unavailable"
    assert app.test_client().get("/readyz").status_code == 200  # the pool recovered


def test_a_domain_error_states_its_status_in_its_class_line_or_as_an_attribute():
    from shared import errors

    class Gone(errors.DomainError, status=410):
        """Stated in the class line."""

    class Teapot(errors.DomainError):
        status = 418

    class StillGone(Gone):
        """Inherited."""

    assert (Gone.status, Teapot.status, StillGone.status, errors.DomainError.status) == \
        (410, 418, 410, 400)
    assert [cls.status for cls in (errors.BadRequest, errors.Unauthorized, errors.Forbidden,
                                   errors.NotFound, errors.Conflict, errors.PayloadTooLarge,
                                   errors.ValidationFailed, errors.DependencyDown)] == \
        [400, 401, 403, 404, 409, 413, 422, 503]
