"""OpenAPI description of a spreadsheet upload, shared by the import endpoints."""

from services.scoring.spreadsheets import XLSX_MIME

SPREADSHEET_BODY = {
    "requestBody": {
        "required": True,
        "description": "A CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030) or XLSX file, as the "
                       "multipart part `file` or as the raw body.",
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": {"type": "string",
                                                                       "format": "binary"}}}},
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MIME: {"schema": {"type": "string", "format": "binary"}},
        },
    },
    "responses": {"422": {"description": "Row and column errors; nothing was imported"}},
}
EXPORT_DOC = {"responses": {"200": {"description": "CSV (UTF-8 with BOM) or XLSX file",
                                    "content": {"text/csv": {}, XLSX_MIME: {}}}}}
