"""The OpenAPI document is valid, every inspection operation states who may call it and
describes what it answers."""

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


def test_every_operation_describes_its_success_body(client):
    """Every 2xx answer has a schema per content type: JSON through a response schema,
    reports also as CSV and XLSX files, evidence downloads as the file in each type
    a declaration may have."""
    from services.inspection.evidence import ALLOWED_TYPES
    from shared.spreadsheets import CSV_MIME, XLSX_MIME

    spec = client.get("/openapi.json").get_json()
    success = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            bodies = {code: answer for code, answer in operation["responses"].items()
                      if code.startswith("2")}
            assert bodies, (method, path)
            for answer in bodies.values():
                assert answer.get("content"), (method, path)
                assert all(c.get("schema") for c in answer["content"].values()), (method, path)
            success[f"{method.upper()} {path}"] = {
                kind for answer in bodies.values() for kind in answer["content"]}
    for report in ("/unit-scores", "/discrepancy-rates", "/visit-scores", "/discrepancies",
                   "/orders/overdue", "/orders/closure-rates"):
        assert success[f"GET /api/v1{report}"] == {"application/json", CSV_MIME, XLSX_MIME}
    every_type = set().union(*ALLOWED_TYPES.values())
    for owner in ("visits/{visit_id}", "orders/{order_id}"):
        download = f"GET /api/v1/{owner}/attachments/{{attachment_id}}/content"
        assert success[download] == every_type
