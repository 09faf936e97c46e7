"""shared.idempotency: retries with one key, sequential and concurrent, over real HTTP.

Concurrent copies of one request must all get the first one's answer (or a 409),
never a 500, and the work must be done once; a first copy that fails leaves the key
to the next one.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from services.survey.models import IdempotencyRecord
from services.survey.models.questionnaires import Questionnaire
from shared.auth import roles
from shared.errors import Conflict
from shared.idempotency import idempotent
from tests.support import serving
from tests.survey.conftest import sample_document


def _count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model.__table__)).scalar()


def test_parallel_creates_with_one_key_make_one_questionnaire(survey_app, auth, engines):
    body = {"code": "PAR", "title_zh": "问", "title_en": "Q", "document": sample_document()}
    headers = {**auth("planner"), "Idempotency-Key": "8f0c2a9e-parallel"}
    start = threading.Barrier(8)
    with serving(survey_app) as url:
        def create(_):
            start.wait()
            return requests.post(f"{url}/api/v1/questionnaires", json=body, headers=headers,
                                 timeout=60)

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(create, range(8)))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert _count(engines["survey"], Questionnaire) == 1
    assert _count(engines["survey"], IdempotencyRecord) == 1


def _probe_app(make_app, done: list[str]):
    """The survey app with ``POST /api/v1/probe``: slow work that fails on request."""
    app = make_app("survey")
    blp = Blueprint("probe", __name__)

    @blp.route("/probe")
    class Probe(MethodView):
        @roles("planner")
        @blp.response(201)
        def post(self):
            from flask import request

            def work():
                time.sleep(0.4)
                if request.headers.get("X-Fail"):
                    raise Conflict("the first copy fails")
                done.append(request.headers.get("X-Copy"))
                return {"copy": request.headers.get("X-Copy")}

            return idempotent(IdempotencyRecord, "probe", request.get_json(), work)

    app.extensions["kaoping"].api.register_blueprint(blp, url_prefix="/api/v1")
    return app


@pytest.mark.commits  # threads on connections of their own
def test_a_copy_that_fails_leaves_the_key_to_the_one_waiting(make_app, auth):
    done: list[str] = []
    headers = {**auth("planner"), "Idempotency-Key": "k-fail-first"}
    with serving(_probe_app(make_app, done)) as url:
        def post(extra, delay):
            time.sleep(delay)
            return requests.post(f"{url}/api/v1/probe", json={"a": 1},
                                 headers={**headers, **extra}, timeout=60)

        with ThreadPoolExecutor(2) as pool:
            failing = pool.submit(post, {"X-Fail": "1", "X-Copy": "first"}, 0)
            waiting = pool.submit(post, {"X-Copy": "second"}, 0.15)
            assert failing.result().status_code == 409
            assert waiting.result().status_code == 201
        replay = post({"X-Copy": "third"}, 0)
    assert replay.status_code == 201 and replay.json() == {"copy": "second"}
    assert done == ["second"]


def test_a_changed_payload_waits_for_the_first_and_is_409(make_app, auth):
    done: list[str] = []
    headers = {**auth("planner"), "Idempotency-Key": "k-changed"}
    with serving(_probe_app(make_app, done)) as url:
        def post(payload, delay):
            time.sleep(delay)
            return requests.post(f"{url}/api/v1/probe", json=payload,
                                 headers={**headers, "X-Copy": str(payload)}, timeout=60)

        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(post, {"a": 1}, 0)
            changed = pool.submit(post, {"a": 2}, 0.15)
            assert first.result().status_code == 201
            refused = changed.result()
    assert refused.status_code == 409
    assert refused.json()["errors"] == {"idempotency_key": ["reused with a different payload"]}
    assert len(done) == 1


def test_an_over_long_key_is_422(survey_client, auth):
    body = {"code": "LONG", "title_zh": "问", "title_en": "Q", "document": sample_document()}
    response = survey_client.post("/api/v1/questionnaires", json=body,
                                  headers={**auth("planner"), "Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert "idempotency_key" in response.get_json()["errors"]


def test_without_a_key_every_request_does_the_work(survey_client, auth):
    body = {"code": "NOKEY", "title_zh": "问", "title_en": "Q", "document": sample_document()}
    ids = {survey_client.post("/api/v1/questionnaires", json=body,
                              headers=auth("planner")).get_json()["id"] for _ in range(2)}
    assert len(ids) == 2
    with db_session_of(survey_client) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def db_session_of(client):
    """A session on the client's app database, outside any request."""
    from shared.db import session_scope

    return session_scope(client.application.extensions["kaoping"].sessions)

