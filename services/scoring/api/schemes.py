"""Scheme endpoints: documents in JSON or YAML, versions, validation."""

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import schemes
from services.scoring.schemas import schemes as schemas
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("schemes", __name__, description="Assessment schemes (indicator trees) and "
                                                 "their versions")
READERS = ("planner", "analyst", "service")


@blp.route("/schemes")
class Schemes(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.SchemeSchema(many=True))
    def get(self):
        """Schemes with the ids of their versions."""
        return schemes.list_schemes(db_session())

    @roles("planner")
    @blp.arguments(schemas.SchemeSchema)
    @blp.response(201, schemas.SchemeSchema)
    def post(self, data):
        """Create a scheme (no versions yet); 409 when the code exists."""
        return schemes.create_scheme(db_session(), data["code"], data["name_zh"],
                                     data["name_en"])


@blp.route("/schemes/validate")
class SchemeValidate(MethodView):
    @roles("planner")
    @blp.doc(**schemas.DOCUMENT_BODY)
    @blp.response(200, schemas.ValidationResultSchema)
    def post(self):
        """Check a document without storing it; 422 lists every problem by path."""
        document = schemes.parse_document(request.get_data(), request.mimetype)
        return schemes.check_document(db_session(), document)


@blp.route("/schemes/<code>/versions")
class SchemeVersions(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.SchemeVersionSummarySchema(many=True))
    def get(self, code):
        """Versions of a scheme, without their documents."""
        return schemes.get_scheme(db_session(), code).versions

    @roles("planner")
    @blp.doc(**schemas.DOCUMENT_BODY)
    @blp.response(201, schemas.SchemeVersionSchema)
    def post(self, code):
        """Validate a document and store it as the next version."""
        document = schemes.parse_document(request.get_data(), request.mimetype)
        return schemes.add_version(db_session(), code, document, current_principal().sub)


@blp.route("/schemes/<code>/versions/<int:number>")
class SchemeVersionByNumber(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.SchemeVersionSchema)
    def get(self, code, number):
        return schemes.get_version(db_session(), code, number)

    @roles("planner")
    @blp.doc(**schemas.DOCUMENT_BODY)
    @blp.response(200, schemas.SchemeVersionSchema)
    def put(self, code, number):
        """Replace the document of a version that no published run used (409 if frozen)."""
        document = schemes.parse_document(request.get_data(), request.mimetype)
        return schemes.replace_version(db_session(), code, number, document)

    @roles("planner")
    @blp.response(204)
    def delete(self, code, number):
        """Delete a version that no published run used (409 if frozen)."""
        schemes.delete_version(db_session(), code, number)


@blp.route("/scheme-versions/<int:version_id>")
class SchemeVersionById(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.SchemeVersionSchema)
    def get(self, version_id):
        """A version by its id (what a run records)."""
        return schemes.get_version_by_id(db_session(), version_id)
