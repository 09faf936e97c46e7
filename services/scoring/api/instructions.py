"""Instruction endpoints: create, list (and overdue), detail with the trail, progress
reports, the office's judgement, extension requests and decisions, per-unit metrics."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import instructions
from services.scoring.models import IdempotencyRecord
from services.scoring.models.instructions import InstructionReport
from services.scoring.reporters import readable_unit
from services.scoring.schemas import instructions as schemas
from shared.auth import current_principal, roles
from shared.config import county_today
from shared.db import db_session, utcnow
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("instructions", __name__, description="Leadership instructions (批示件督办)")
READERS = ("planner", "analyst", "unit", "service")


def today():
    """The county's date by the app's clock (``SCORING_CLOCK``, a test injects one)."""
    return county_today(current_app.config.get("SCORING_CLOCK", utcnow)())


@blp.route("/instructions")
class Instructions(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.InstructionQuerySchema, location="query")
    @blp.response(200, schemas.InstructionSchema(many=True))
    def get(self, args):
        """Instructions by deadline (a unit token: those it is responsible for);
        `overdue=true` lists those still with the units after their deadline."""
        return instructions.list_instructions(db_session(), current_principal(), **args,
                                              today=today())

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(schemas.InstructionInSchema)
    @blp.response(201, schemas.InstructionSchema)
    def post(self, data):
        """Record a leader's instruction with its lead and assisting units."""
        return idempotent(IdempotencyRecord, "instructions", data,
                          lambda: instructions.create(db_session(), current_principal(), data),
                          reload=lambda ident: instructions.get_instruction(
                              db_session(), ident, current_principal()))


@blp.route("/instructions/metrics")
class InstructionMetrics(MethodView):
    @roles("planner", "analyst", "service", "unit")
    @blp.arguments(schemas.InstructionMetricQuerySchema, location="query")
    @blp.response(200, schemas.InstructionMetricSchema(many=True))
    def get(self, args):
        """On-time closure rate per responsible unit for a period."""
        return instructions.metrics(db_session(), args["period"],
                                    readable_unit(current_principal(), args.get("unit")))


@blp.route("/instructions/<int:instruction_id>")
class InstructionById(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.InstructionDetailSchema)
    def get(self, instruction_id):
        """The instruction with its reports, extension requests and audit trail."""
        return instructions.detail(db_session(), instruction_id, current_principal())


@blp.route("/instructions/<int:instruction_id>/reports")
class InstructionReports(MethodView):
    @roles("unit", "planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(schemas.ReportInSchema)
    @blp.response(201, schemas.ReportSchema)
    def post(self, data, instruction_id):
        """A progress report with evidence; `completed` (lead unit) asks for judgement."""
        return idempotent(IdempotencyRecord, f"instruction-report:{instruction_id}", data,
                          lambda: instructions.report(db_session(), instruction_id,
                                                      current_principal(), data, today()),
                          per_caller=True,
                          reload=lambda ident: db_session().get(InstructionReport, ident))


@blp.route("/instructions/<int:instruction_id>/judgement")
class InstructionJudgement(MethodView):
    @roles("planner")
    @blp.arguments(schemas.JudgementSchema)
    @blp.response(200, schemas.InstructionSchema)
    def post(self, data, instruction_id):
        """The office verifies the completion report, returns it with a reason, or closes."""
        return instructions.judge(db_session(), instruction_id, current_principal(),
                                  data["action"], data.get("note"), today())


@blp.route("/instructions/<int:instruction_id>/extensions")
class InstructionExtensions(MethodView):
    @roles("unit", "planner")
    @blp.arguments(schemas.ExtensionInSchema)
    @blp.response(201, schemas.ExtensionSchema)
    def post(self, data, instruction_id):
        """The lead unit asks for a later deadline with a reason."""
        return instructions.request_extension(db_session(), instruction_id,
                                              current_principal(), data)


@blp.route("/instructions/<int:instruction_id>/extensions/<int:extension_id>")
class ExtensionDecision(MethodView):
    @roles("planner")
    @blp.arguments(schemas.ExtensionDecisionSchema)
    @blp.response(200, schemas.ExtensionSchema)
    def post(self, data, instruction_id, extension_id):
        """Approve (the deadline moves) or reject an extension request."""
        return instructions.decide_extension(db_session(), instruction_id, extension_id,
                                             current_principal(), data["approve"],
                                             data.get("note"))
