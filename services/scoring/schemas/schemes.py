"""Marshmallow schemas of schemes and their versions."""

from marshmallow import Schema, fields

from services.scoring.schemas import CODE, UtcDateTime

DOCUMENT_BODY = {"requestBody": {
    "required": True,
    "description": "The scheme document as JSON, or YAML with Content-Type application/yaml.",
    "content": {"application/json": {"schema": {"type": "object"}},
                "application/yaml": {"schema": {"type": "string"}}}}}


class SchemeSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    versions = fields.Method("_versions", dump_only=True)

    def _versions(self, scheme):
        return [{"id": v.id, "version": v.version, "frozen": v.frozen} for v in scheme.versions]



class SchemeVersionSummarySchema(Schema):
    """A version without its document."""

    id = fields.Integer()
    scheme = fields.String(attribute="scheme.code")
    version = fields.Integer()
    created_at = UtcDateTime()
    created_by = fields.String()
    updated_at = UtcDateTime()
    frozen = fields.Boolean()
    published = fields.Boolean(attribute="frozen", dump_only=True)
    frozen_at = UtcDateTime(allow_none=True)


class SchemeVersionSchema(SchemeVersionSummarySchema):
    document = fields.Raw()



class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    indicators = fields.Integer()
    by_source = fields.Dict(keys=fields.String(), values=fields.Integer())
