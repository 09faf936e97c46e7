"""Marshmallow schemas of documents (notices, bulletins, reports) made from runs."""

from marshmallow import Schema, fields, validate

from services.scoring.models.documents import DOCUMENT_KINDS, DOCUMENT_STATES, LANGUAGES
from services.scoring.run_inputs import MISSING_SOURCE_POLICIES
from services.scoring.schemas import UtcDateTime

PDF = "application/pdf"


class DocumentCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS),
                         metadata={"description": "notice (monthly run), bulletin (quarterly), "
                                                  "midyear, yearend"})
    period = fields.String(validate=validate.Length(1, 10),
                           metadata={"description": "the run's period; the latest published "
                                                    "run of the kind and period is used",
                                     "example": "2026-Q2"})
    run_id = fields.Integer(validate=validate.Range(min=1),
                            metadata={"description": "a published run (instead of the period)"})
    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES))
    polls = fields.List(fields.Integer(validate=validate.Range(min=1)), load_default=None,
                        metadata={"description": "survey polls the bulletin prints; default "
                                                 "the run's polls"})
    missing_source = fields.String(load_default="fail",
                                   validate=validate.OneOf(MISSING_SOURCE_POLICIES))
    replaces = fields.Integer(validate=validate.Range(min=1),
                              metadata={"description": "a current document this one corrects "
                                                       "(it is withdrawn with the reason)"})
    reason = fields.String(validate=validate.Length(1, 2000))


class WithdrawSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class DocumentQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(DOCUMENT_KINDS))
    period = fields.String(validate=validate.Length(1, 10))
    state = fields.String(validate=validate.OneOf(DOCUMENT_STATES))


class DocumentSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    period = fields.String()
    lang = fields.String()
    title = fields.String()
    run_id = fields.Integer()
    run_inputs_sha256 = fields.String()
    run_results_sha256 = fields.String()
    sources_sha256 = fields.String()
    pdf_sha256 = fields.String()
    pdf_bytes = fields.Integer()
    pages = fields.Integer()
    state = fields.String()
    replaces_id = fields.Integer(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)
    withdrawn_reason = fields.String(allow_none=True)
    withdrawn_by = fields.String(allow_none=True)
    withdrawn_at = UtcDateTime(allow_none=True)
    created_by = fields.String()
    created_at = UtcDateTime()


class DocumentSourcesSchema(Schema):
    """What the document printed beyond its run, as it was read."""

    format = fields.Integer()
    status = fields.Dict()
    as_of = fields.String()
    polls = fields.List(fields.Dict(), allow_none=True)
    inspection = fields.Dict(allow_none=True)
    self_checks = fields.Dict()
    key_tasks = fields.List(fields.Dict())


class VerifySchema(Schema):
    document_id = fields.Integer()
    reproduced = fields.Boolean()
    pdf_sha256 = fields.String()
    pdf_sha256_rendered = fields.String()
    stored_pdf_sha256_recomputed = fields.String()
    html_identical = fields.Boolean()
    run_hashes_match = fields.Boolean()
