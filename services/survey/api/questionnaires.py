"""Questionnaires: versions, edits before fielding, and the skip-logic route."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import questionnaires as domain
from services.survey.models import IdempotencyRecord
from services.survey.models.questionnaires import Questionnaire
from services.survey.schemas.questionnaires import (
    QuestionnaireIn,
    QuestionnaireOut,
    QuestionnaireQuery,
    QuestionnaireUpdate,
    RouteIn,
    RouteOut,
)
from shared.auth import roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("questionnaires", __name__,
                description="Versioned questionnaires (zh-CN/en), question types, skip logic")


@blp.route("/questionnaires")
class Questionnaires(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(QuestionnaireQuery, location="query")
    @blp.response(200, QuestionnaireOut(many=True))
    def get(self, query):
        """List questionnaires (every version), optionally of one code."""
        return domain.list_questionnaires(db_session(), query["code"])

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(QuestionnaireIn)
    @blp.response(201, QuestionnaireOut)
    def post(self, data):
        """Create a questionnaire, or the next version of an existing code.

        A retry with the same ``Idempotency-Key`` returns the version made first."""
        return idempotent(IdempotencyRecord, "questionnaires", data,
                          lambda: domain.create_questionnaire(db_session(), **data),
                          reload=lambda version_id: db_session().get(Questionnaire, version_id))


@blp.route("/questionnaires/<int:questionnaire_id>")
class QuestionnaireById(MethodView):
    @roles("planner", "analyst", "service")
    @blp.response(200, QuestionnaireOut)
    def get(self, questionnaire_id):
        return domain.get_questionnaire(db_session(), questionnaire_id)

    @roles("planner")
    @blp.arguments(QuestionnaireUpdate)
    @blp.response(200, QuestionnaireOut)
    @blp.alt_response(409, description="frozen: a poll using it is in the field")
    def put(self, data, questionnaire_id):
        """Edit a version that no fielding poll has frozen."""
        return domain.update_questionnaire(db_session(), questionnaire_id, **data)


@blp.route("/questionnaires/<int:questionnaire_id>/route")
class QuestionnaireRoute(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(RouteIn)
    @blp.response(200, RouteOut)
    def post(self, data, questionnaire_id):
        """The questions shown for some answers, and the next one to ask."""
        return domain.route_of(db_session(), questionnaire_id, data["answers"], data["mode"])
