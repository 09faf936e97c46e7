"""Plans: ``/plans``, their visits and the re-check of a random draw."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import plans, visits
from services.inspection.models import IdempotencyRecord
from services.inspection.schemas.plans import DrawCheckSchema, PlanInSchema, PlanSchema
from services.inspection.schemas.visits import VisitSummarySchema
from shared.auth import current_principal, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("plans", __name__, description="Open and unannounced inspection plans")
READERS = ("planner", "inspector", "unit", "analyst", "service")


@blp.route("/plans")
class Plans(MethodView):
    @roles(*READERS)
    @blp.response(200, PlanSchema(many=True))
    def get(self):
        """Plans the caller may see; reads of unannounced plans are audited."""
        return plans.list_plans(db_session(), current_principal())

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(PlanInSchema)
    @blp.response(201, PlanSchema)
    def post(self, data):
        """Create a plan with targets by hand or by a stratified random draw.

        A retry with the same ``Idempotency-Key`` returns the plan made first."""
        return idempotent(IdempotencyRecord, "plans", data,
                          lambda: plans.create_plan(db_session(), current_principal(), data),
                          reload=lambda plan_id: plans.get_plan(db_session(),
                                                                current_principal(), plan_id))


@blp.route("/plans/<int:plan_id>")
class PlanById(MethodView):
    @roles(*READERS)
    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """One plan; an unannounced plan is 404 for a unit until its visit's check-in."""
        return plans.get_plan(db_session(), current_principal(), plan_id)


@blp.route("/plans/<int:plan_id>/visits")
class PlanVisits(MethodView):
    @roles(*READERS)
    @blp.response(200, VisitSummarySchema(many=True))
    def get(self, plan_id):
        """The plan's visits the caller may see; 404 while the plan is hidden."""
        return visits.read_plan_visits(db_session(), current_principal(), plan_id)


@blp.route("/plans/<int:plan_id>/draw-check")
class PlanDrawCheck(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, DrawCheckSchema)
    def get(self, plan_id):
        """Redo the recorded draw from its frame and seed; ``matches`` says if it agrees."""
        return plans.check_draw(db_session(), current_principal(), plan_id)
