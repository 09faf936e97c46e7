"""The service client: retries on 5xx and connection errors, not on unsafe POSTs,
passes the request id on, and reports a dead service as 503."""

import json
import socket

import pytest
from flask import Flask, jsonify, request

from shared.client import ServiceClient, ServiceError
from shared.errors import DependencyDown
from tests.support import serving


def _flaky_app(failures: int):
    app = Flask("flaky")
    calls = {"n": 0, "request_ids": [], "methods": []}

    @app.route("/thing", methods=["GET", "POST"])
    def thing():
        calls["n"] += 1
        calls["request_ids"].append(request.headers.get("X-Request-ID"))
        calls["methods"].append(request.method)
        if calls["n"] <= failures:
            return jsonify(message="down"), 503
        return jsonify(ok=True, n=calls["n"])

    @app.get("/missing")
    def missing():
        return jsonify(code=404, message="no such unit", errors={"code": ["unknown"]}), 404

    return app, calls


def test_get_is_retried_on_5xx_until_success():
    app, calls = _flaky_app(failures=2)
    with serving(app) as url:
        body = ServiceClient("flaky", url, backoff=0.01).get_json("/thing")
    assert body == {"ok": True, "n": 3}


def test_post_without_idempotency_key_is_not_retried():
    app, calls = _flaky_app(failures=1)
    with serving(app) as url:
        with pytest.raises(DependencyDown):
            ServiceClient("flaky", url, backoff=0.01).post_json("/thing", {})
    assert calls["n"] == 1


def test_post_with_idempotency_key_is_retried():
    app, calls = _flaky_app(failures=1)
    with serving(app) as url:
        body = ServiceClient("flaky", url, backoff=0.01).post_json("/thing", {},
                                                                   idempotency_key="k1")
    assert body["n"] == 2 and calls["methods"] == ["POST", "POST"]


def test_retries_are_bounded_and_a_dead_service_is_503_naming_it():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ServiceClient("scoring", f"http://127.0.0.1:{port}", retries=2, backoff=0.01,
                           timeout=0.5)
    with pytest.raises(DependencyDown) as caught:
        client.get_json("/x")
    assert caught.value.status == 503
    assert "scoring" in caught.value.message


def test_4xx_is_passed_on_not_retried():
    app, calls = _flaky_app(failures=0)
    with serving(app) as url:
        with pytest.raises(ServiceError) as caught:
            ServiceClient("flaky", url).get_json("/missing")
    assert caught.value.status == 404
    assert caught.value.errors == {"code": ["unknown"]}


def test_request_id_is_propagated_from_the_incoming_request(make_app, auth):
    downstream, calls = _flaky_app(failures=0)
    app = make_app("scoring")

    with serving(downstream) as url:
        @app.get("/api/v1/relay")
        def relay():
            return ServiceClient("flaky", url).get_json("/thing")

        relay._kaoping_roles = frozenset({"admin"})
        response = app.test_client().get(
            "/api/v1/relay", headers={**auth("admin"), "X-Request-ID": "req-abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-abc-123"
    assert calls["request_ids"] == ["req-abc-123"]


def test_logs_are_json_with_the_request_id(make_app, capsys):
    import logging

    app = make_app("inspection")
    logging.getLogger("kaoping").setLevel("INFO")
    app.test_client().get("/healthz", headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line.get("path") == "/healthz"]
    assert access and access[0]["request_id"] == "trace-42"
    assert access[0]["service"] == "inspection" and access[0]["status"] == 200


def test_peer_client_carries_a_service_token_of_the_caller(monkeypatch):
    from shared.auth import decode_token, jwt_secret
    from shared.client import peer_client

    monkeypatch.setenv("SCORING_URL", "http://127.0.0.1:9")
    client = peer_client("survey", "scoring", retries=0)
    assert client.base_url == "http://127.0.0.1:9" and client.name == "scoring"
    principal = decode_token(client.token, jwt_secret())
    assert (principal.sub, principal.role) == ("survey", "service")
    assert peer_client("survey", "scoring", url="http://x:1").base_url == "http://x:1"
