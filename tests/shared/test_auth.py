"""Deny by default: every non-public endpoint needs a token, roles are enforced."""

import time

import jwt
import pytest

from shared.auth import ALGORITHM, ROLES, issue_token

SERVICES = ("survey", "scoring", "inspection")
PUBLIC = {"health.healthz", "health.readyz", "api-docs.openapi_json",
          "api-docs.openapi_swagger_ui", "docs_assets.docs_asset", "static"}


def _concrete(rule):
    path = rule.rule
    for argument in rule.arguments:
        path = path.replace(f"<{argument}>", "1")
        for converter in ("int", "string", "path", "uuid", "float"):
            path = path.replace(f"<{converter}:{argument}>", "1")
    return path


@pytest.mark.parametrize("service", SERVICES)
def test_every_non_public_route_answers_401_without_a_token(make_app, service):
    # From another host (/metrics lets a loopback peer in without a token), with a scrape
    # token configured (without one, /metrics refuses other hosts with 403).
    app = make_app(service, METRICS_TOKEN="scrape-token")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC or getattr(view, "_kaoping_public", False):
            continue
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            target = getattr(view_class, method.lower(), None) if view_class else view
            if getattr(target, "_kaoping_public", False):
                continue
            response = client.open(_concrete(rule), method=method)
            assert response.status_code == 401, (rule.rule, method, response.status_code)
            assert response.get_json()["code"] == 401
            checked += 1
    assert checked >= 1


def test_wrong_role_is_403_and_right_role_200(scoring_client, auth):
    # whoami allows every role; the registry is the planner's: use a probe via whoami
    for role in ROLES:
        unit = "T01" if role == "unit" else None
        response = scoring_client.get("/api/v1/whoami", headers=auth(role, unit))
        assert response.status_code == 200
        assert response.get_json()["role"] == role


def test_view_without_roles_is_admin_only(make_app, auth):
    from flask.views import MethodView
    from flask_smorest import Blueprint

    app = make_app("survey")
    blp = Blueprint("undeclared", __name__)

    @blp.route("/undeclared")
    class Undeclared(MethodView):
        def get(self):
            return {"ok": True}

    app.extensions["kaoping"].api.register_blueprint(
        blp, url_prefix="/api/v1")
    client = app.test_client()
    response = client.get("/api/v1/undeclared", headers=auth("planner"))
    assert response.status_code == 403
    assert "planner" in response.get_json()["message"]
    assert client.get("/api/v1/undeclared", headers=auth("admin")).status_code == 200


@pytest.mark.parametrize("make_token, reason", [
    (lambda key: "not-a-jwt", "Invalid token"),
    (lambda key: jwt.encode({"sub": "x", "role": "admin", "exp": int(time.time()) - 5}, key,
                            algorithm=ALGORITHM), "expired"),
    (lambda key: jwt.encode({"sub": "x", "role": "admin", "exp": int(time.time()) + 60},
                            "another-key-that-is-long-enough-32b", algorithm=ALGORITHM),
     "Invalid token"),
    (lambda key: jwt.encode({"sub": "x", "role": "wizard", "exp": int(time.time()) + 60}, key,
                            algorithm=ALGORITHM), "unknown role"),
    (lambda key: jwt.encode({"sub": "x", "role": "unit", "exp": int(time.time()) + 60}, key,
                            algorithm=ALGORITHM), "unit claim"),
    (lambda key: jwt.encode({"sub": "x", "role": "admin"}, key, algorithm=ALGORITHM),
     "Invalid token"),
])
def test_bad_tokens_are_401_with_a_reason(scoring_app, make_token, reason):
    key = scoring_app.config["JWT_SECRET"]
    response = scoring_app.test_client().get(
        "/api/v1/whoami", headers={"Authorization": f"Bearer {make_token(key)}"})
    assert response.status_code == 401
    assert reason.lower() in response.get_json()["message"].lower()


def test_issue_token_rejects_unknown_role_and_unitless_unit_token():
    with pytest.raises(ValueError):
        issue_token("x", "wizard")
    with pytest.raises(ValueError):
        issue_token("x", "unit")

