"""Documents (notices, bulletins, reports) through the scoring API."""

from __future__ import annotations

from typing import Any

from services.portal.api_client import Apis


def list_documents(apis: Apis, kind: str | None = None) -> list[dict[str, Any]]:
    """Every document, newest first, withdrawn ones with their reason."""
    query = f"?kind={kind}" if kind else ""
    return apis.scoring.get_json(f"/api/v1/documents{query}")


def download(apis: Apis, document_id: int, what: str) -> tuple[bytes, str, str]:
    """The stored PDF or HTML of a document: (content, MIME type, file name)."""
    response = apis.scoring.request("GET", f"/api/v1/documents/{document_id}/{what}")
    disposition = response.headers.get("Content-Disposition", "")
    name = disposition.split('filename="')[-1].rstrip('"') or f"document-{document_id}.{what}"
    return response.content, response.headers.get("Content-Type", "application/pdf"), name
