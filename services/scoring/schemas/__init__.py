"""Marshmallow schemas of the scoring service, one module per domain; here the field
types and query schemas they share."""

from datetime import UTC

from marshmallow import Schema, fields, validate


class UtcDateTime(fields.DateTime):
    """ISO 8601 with offset; SQLite hands back naive UTC, which is marked as UTC here."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]{1,40}$", error="1-40 letters, digits, '_', '.', '-'")
LINK = fields.String(validate=validate.URL(schemes={"http", "https"}))


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))
