"""The OpenAPI document is valid and every inspection operation states who may call it."""

from openapi_spec_validator import validate


def test_openapi_document_is_valid(client):
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    paths = spec["paths"]
    assert "/api/v1/unit-scores" in paths and "/api/v1/discrepancy-rates" in paths


def test_every_view_declares_roles(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("whoami"):
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            target = getattr(view.view_class, method.lower())
            assert hasattr(target, "_kaoping_roles"), (rule.rule, method)
