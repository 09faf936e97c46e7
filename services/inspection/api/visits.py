"""Visits: ``/visits``: check-in, evidence, submission, amendment, review."""

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import visits
from services.inspection.api.evidence_io import BINARY_BODY, download, upload
from services.inspection.schemas.visit import (
    AmendSchema,
    AttachmentInSchema,
    AttachmentSchema,
    CheckInSchema,
    ReviewSchema,
    SubmissionSchema,
    SubmitSchema,
    VisitQuerySchema,
    VisitSchema,
    VisitSummarySchema,
)
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("visits", __name__, description="Visits, their evidence and review")
READERS = ("planner", "inspector", "unit", "analyst", "service")


@blp.route("/visits")
class Visits(MethodView):
    @roles(*READERS)
    @blp.arguments(VisitQuerySchema, location="query")
    @blp.response(200, VisitSummarySchema(many=True))
    def get(self, query):
        """Visits the caller may see (an inspector: their own)."""
        return visits.read_visits(db_session(), current_principal(), **query)


@blp.route("/visits/<int:visit_id>")
class VisitById(MethodView):
    @roles(*READERS)
    @blp.response(200, VisitSchema)
    def get(self, visit_id):
        """A visit with every version; hidden (404) from a unit before an unannounced check-in."""
        return visits.read_visit(db_session(), current_principal(), visit_id)


@blp.route("/visits/<int:visit_id>/check-in")
class VisitCheckIn(MethodView):
    @roles("inspector")
    @blp.arguments(CheckInSchema)
    @blp.response(200, VisitSchema)
    def post(self, data, visit_id):
        """Check in on site with a GPS fix; the server time is what counts."""
        return visits.check_in(db_session(), current_principal(), visit_id, data)


@blp.route("/visits/<int:visit_id>/attachments")
class VisitAttachments(MethodView):
    @roles("inspector")
    @blp.arguments(AttachmentInSchema)
    @blp.response(201, AttachmentSchema)
    def post(self, data, visit_id):
        """Declare an evidence file (kind, type, size, SHA-256); upload its bytes next."""
        return visits.declare_attachment(db_session(), current_principal(), visit_id, data)


@blp.route("/visits/<int:visit_id>/attachments/<int:attachment_id>/content")
class VisitAttachmentContent(MethodView):
    @roles("inspector")
    @blp.doc(**BINARY_BODY)
    @blp.response(200, AttachmentSchema)
    def put(self, visit_id, attachment_id):
        """Stream the file; 422 and nothing stored unless size and SHA-256 match."""
        return upload(visits.visit_attachment(db_session(), current_principal(), visit_id,
                                              attachment_id))

    @roles(*READERS)
    @blp.response(200)
    def get(self, visit_id, attachment_id):
        """The stored file."""
        return download(visits.visit_attachment(db_session(), current_principal(), visit_id,
                                                attachment_id))


@blp.route("/visits/<int:visit_id>/submit")
class VisitSubmit(MethodView):
    @roles("inspector")
    @blp.arguments(SubmitSchema)
    @blp.response(200, SubmissionSchema)
    def post(self, data, visit_id):
        """Submit the answers; idempotent on ``client_uuid`` (changed payload: 409)."""
        status, body = visits.submit(db_session(), current_principal(), visit_id, data)
        response = jsonify(body)
        response.status_code = status
        return response


@blp.route("/visits/<int:visit_id>/amend")
class VisitAmend(MethodView):
    @roles("inspector", "planner")
    @blp.arguments(AmendSchema)
    @blp.response(200, SubmissionSchema)
    def post(self, data, visit_id):
        """Store a new version of a submitted visit, with the reason."""
        reason = data.pop("reason")
        status, body = visits.submit(db_session(), current_principal(), visit_id, data,
                                     reason=reason)
        response = jsonify(body)
        response.status_code = status
        return response


@blp.route("/visits/<int:visit_id>/review")
class VisitReview(MethodView):
    @roles("planner")
    @blp.arguments(ReviewSchema)
    @blp.response(200, VisitSchema)
    def post(self, data, visit_id):
        """Approve, or return with a comment (required)."""
        return visits.review(db_session(), current_principal(), visit_id, data)
