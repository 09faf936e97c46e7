"""Schemas of the XLSForm import (the questionnaire comes back as ``QuestionnaireOut``)."""

from marshmallow import Schema, fields

from shared.xlsform import XLSX_MIME

BINARY = {"type": "string", "format": "binary"}
ERRORS_DOC = ("422: nothing imported; ``errors`` names each problem's cell, "
              "``{\"survey!B7 (type)\": [\"geopoint is not supported ...\"]}`` (sheet!column-"
              "letter row (column header)); a problem of a whole column or sheet is "
              "``\"settings (form_id)\"``, one that pyxform finds ``\"xlsform\"``")


class XlsformUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "an XLSForm workbook (.xlsx) "
                                                              "with survey, choices, settings"})


XLSX_RESPONSE = {"schema": BINARY, "content_type": XLSX_MIME,
                 "description": "the XLSForm workbook (.xlsx)"}
