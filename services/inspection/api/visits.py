"""Visits: ``/visits``, and the actions on one visit: check-in, submission, amendment,
review, assignment to another inspector (its evidence: ``api.evidence``)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import evidence, submissions, visits
from services.inspection.api.actions import Action, add_action
from services.inspection.api.evidence import Owner, add_evidence
from services.inspection.config import app_settings
from services.inspection.schemas.submissions import AmendSchema, SubmitSchema
from services.inspection.schemas.visits import (
    AssignSchema,
    CheckInSchema,
    ReviewSchema,
    SubmissionSchema,
    VisitListItemSchema,
    VisitQuerySchema,
    VisitSchema,
)
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("visits", __name__, description="Visits, their evidence and review")
READERS = ("planner", "inspector", "unit", "analyst", "service")


@blp.route("/visits")
class Visits(MethodView):
    @roles(*READERS)
    @blp.arguments(VisitQuerySchema, location="query")
    @blp.response(200, VisitListItemSchema(many=True))
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


ACTIONS = (
    Action("/visits/<int:visit_id>/check-in", "VisitCheckIn",
           "Check in on site with a GPS fix; the server time is what counts.",
           ("inspector",), CheckInSchema, VisitSchema,
           lambda session, who, visit_id, data: visits.check_in(session, who, visit_id, data,
                                                                app_settings())),
    Action("/visits/<int:visit_id>/submit", "VisitSubmit",
           "Submit the answers; idempotent on ``client_uuid`` (changed payload: 409).",
           ("inspector",), SubmitSchema, SubmissionSchema, submissions.submit),
    Action("/visits/<int:visit_id>/amend", "VisitAmend",
           "Store a new version of a submitted visit, with the reason.",
           ("inspector", "planner"), AmendSchema, SubmissionSchema, submissions.amend),
    Action("/visits/<int:visit_id>/review", "VisitReview",
           "Approve, or return with a comment (required).",
           ("planner",), ReviewSchema, VisitSchema, visits.review),
    Action("/visits/<int:visit_id>/assign", "VisitAssign",
           "Give a visit not checked in yet to another inspector.",
           ("planner",), AssignSchema, VisitSchema, visits.assign),
)
for action in ACTIONS:
    add_action(blp, action)
add_evidence(blp, Owner(
    "visit", writers=("inspector",), readers=READERS,
    declare_summary="Declare an evidence file (kind, type, size, SHA-256); upload its bytes "
                    "next.",
    declare=evidence.declare_for_visit, find=evidence.visit_attachment))
