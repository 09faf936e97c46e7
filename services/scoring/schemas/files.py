"""OpenAPI descriptions of spreadsheet uploads (the import endpoints) and downloads
(exports, and the ``format=csv|xlsx`` of JSON reads)."""

from shared.spreadsheets import XLSX_MIME

BINARY = {"type": "string", "format": "binary"}
SPREADSHEET_BODY = {
    "requestBody": {
        "required": True,
        "description": "A CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030) or XLSX file, as the "
                       "multipart part `file` or as the raw body.",
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": BINARY}}},
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MIME: {"schema": BINARY},
        },
    },
    "responses": {"422": {"description": "Row and column errors; nothing was imported"}},
}


def downloads(blp):
    """A decorator documenting that a view answers 200 with a CSV (UTF-8 with BOM) or
    XLSX file, besides the JSON body of its ``@blp.response`` if it has one."""
    def decorate(view):
        for mime in ("text/csv", XLSX_MIME):
            view = blp.alt_response(200, schema=BINARY, content_type=mime, success=True,
                                    description="CSV (UTF-8 with BOM) or XLSX file, "
                                                "by format")(view)
        return view

    return decorate
