"""Schema of a paper import (the forms come back as ``responses.InterviewOut``)."""

from marshmallow import Schema, fields


class PaperImportIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "keyed-in forms, .csv or .xlsx"})
