"""File downloads in the OpenAPI document: the ``format`` query of a CSV/XLSX export and
the success responses that describe the file's content types."""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import Schema, fields, validate

from shared.spreadsheets import CSV_MIME, XLSX_MIME

# The body of a file download, for the OpenAPI document.
BINARY = {"type": "string", "format": "binary"}


class DownloadQuery(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))


def file_response(blp, description: str, *content_types: str) -> Callable:
    """``@blp.response(200, …)`` of a view that returns a file in one of
    ``content_types`` (default CSV or XLSX, as the ``format`` query asks)."""
    first, *others = content_types or (CSV_MIME, XLSX_MIME)

    def decorate(view: Callable) -> Callable:
        for content_type in others:
            view = blp.alt_response(200, schema=BINARY, content_type=content_type,
                                    description=description, success=True)(view)
        return blp.response(200, BINARY, content_type=first, description=description)(view)

    return decorate
