"""Schemas of the checklist XLSForm import (the checklist comes back as ``ChecklistSchema``)."""

from marshmallow import Schema, fields

from shared.xlsform import XLSX_MIME

ERRORS_DOC = ("nothing imported; ``errors`` names each problem's cell, "
              "``{\"survey!A7 (type)\": [\"geopoint is not supported ...\"]}``")
XLSX_RESPONSE = {"schema": {"type": "string", "format": "binary"}, "content_type": XLSX_MIME,
                 "description": "the XLSForm workbook (.xlsx)"}


class XlsformUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "an XLSForm workbook (.xlsx) "
                                                              "with survey, choices, settings"})
