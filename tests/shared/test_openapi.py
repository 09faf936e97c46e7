"""Each service publishes a valid OpenAPI 3 document and an offline Swagger UI."""

import pytest
from openapi_spec_validator import validate

SERVICES = ("survey", "scoring", "inspection")


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_document_validates(make_app, service):
    client = make_app(service).test_client()
    spec = client.get("/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/whoami" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.parametrize("service", SERVICES)
def test_docs_page_and_its_assets_are_served_locally(make_app, service):
    client = make_app(service).test_client()
    page = client.get("/docs").get_data(as_text=True)
    assert "docs-assets/swagger-ui-bundle.js" in page
    asset = client.get("/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
