"""Documents made from published runs: make, list, read (JSON, PDF, HTML), verify,
withdraw."""

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import documents
from services.scoring.models import IdempotencyRecord
from services.scoring.run_inputs import service_sources
from services.scoring.schemas import documents as schemas
from services.scoring.schemas.files import BINARY
from shared.auth import current_principal, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("documents", __name__, description="Notices, bulletins and reports as PDF")
READERS = ("planner", "analyst")


@blp.route("/documents")
class Documents(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.DocumentQuerySchema, location="query")
    @blp.response(200, schemas.DocumentSchema(many=True))
    def get(self, query):
        """Documents, newest first; withdrawn ones stay listed with their reason."""
        return documents.list_documents(db_session(), **query)

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(schemas.DocumentCreateSchema)
    @blp.response(201, schemas.DocumentSchema)
    @blp.alt_response(409, description="the run is not published (or no published run)")
    @blp.alt_response(503, description="a source service is down (missing_source 'fail')")
    def post(self, data):
        """Make a document from a published run (the current one when it exists)."""
        config = current_app.config
        sources = service_sources(config["SURVEY_URL"], config["INSPECTION_URL"],
                                  config["SCORING_SOURCE_TIMEOUT"],
                                  config["SCORING_SOURCE_RETRIES"])
        return idempotent(IdempotencyRecord, "documents.create", data,
                          lambda: documents.create_document(db_session(), data,
                                                            current_principal().sub, sources),
                          reload=lambda doc_id: documents.get_document(db_session(), doc_id))


@blp.route("/documents/<int:document_id>")
class DocumentById(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.DocumentSchema)
    def get(self, document_id):
        """A document's record: its run and hashes, state, withdrawal."""
        return documents.get_document(db_session(), document_id)


def _file(document_id: int, what: str) -> Response:
    doc = documents.get_document(db_session(), document_id)
    name = f"{doc.kind}-{doc.period}-{doc.lang}-{doc.id}"
    if what == "pdf":
        body, mime, name = doc.pdf, schemas.PDF, f"{name}.pdf"
    else:
        body, mime, name = doc.html, "text/html; charset=utf-8", f"{name}.html"
    return Response(body, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Document-SHA256": doc.pdf_sha256})


@blp.route("/documents/<int:document_id>/pdf")
class DocumentPdf(MethodView):
    @roles(*READERS)
    @blp.response(200, BINARY, content_type=schemas.PDF, description="the stored PDF")
    def get(self, document_id):
        """The stored PDF (its SHA-256 in ``X-Document-SHA256``)."""
        return _file(document_id, "pdf")


@blp.route("/documents/<int:document_id>/html")
class DocumentHtml(MethodView):
    @roles(*READERS)
    @blp.response(200, {"type": "string"}, content_type="text/html",
                  description="the stored HTML (style and charts inline)")
    def get(self, document_id):
        """The stored HTML the PDF was printed from."""
        return _file(document_id, "html")


@blp.route("/documents/<int:document_id>/sources")
class DocumentSources(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.DocumentSourcesSchema)
    def get(self, document_id):
        """What the document printed beyond its run, as it was read then."""
        return documents.get_document(db_session(), document_id).sources


@blp.route("/documents/<int:document_id>/verify")
class DocumentVerify(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.VerifySchema)
    def post(self, document_id):
        """Render the document again from its run and stored sources and compare."""
        return documents.verify(db_session(), document_id)


@blp.route("/documents/<int:document_id>/withdraw")
class DocumentWithdraw(MethodView):
    @roles("planner")
    @blp.arguments(schemas.WithdrawSchema)
    @blp.response(200, schemas.DocumentSchema)
    def post(self, data, document_id):
        """Withdraw a current document with a reason; it stays listed. 409 if withdrawn."""
        return documents.withdraw(db_session(), document_id, data["reason"],
                                  current_principal().sub)
