"""Polls: draft → fielding → closed, quotas and the margins snapshot."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import polls as domain
from services.survey.models import IdempotencyRecord
from services.survey.models.polls import Poll
from services.survey.schemas.polls import MarginOut, PollIn, PollOut, PollQuery, QuotaOut
from services.survey.scoring_registry import scoring_registry
from shared.auth import roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("polls", __name__,
                description="Polls: questionnaire, townships, modes, field period, quotas")


@blp.route("/polls")
class Polls(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(PollQuery, location="query")
    @blp.response(200, PollOut(many=True))
    def get(self, query):
        return domain.list_polls(db_session(), query["status"])

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(PollIn)
    @blp.response(201, PollOut)
    @blp.alt_response(503, description="the scoring registry is unreachable")
    def post(self, data):
        """Create a draft poll; township codes are checked against the scoring registry.

        A retry with the same ``Idempotency-Key`` returns the poll made first."""
        return idempotent(IdempotencyRecord, "polls", data,
                          lambda: domain.create_poll(db_session(), scoring_registry(), data),
                          reload=lambda poll_id: db_session().get(Poll, poll_id))


@blp.route("/polls/<int:poll_id>")
class PollById(MethodView):
    @roles("planner", "analyst", "service")
    @blp.response(200, PollOut)
    def get(self, poll_id):
        return domain.get_poll(db_session(), poll_id)

    @roles("planner")
    @blp.arguments(PollIn)
    @blp.response(200, PollOut)
    def put(self, data, poll_id):
        """Replace a draft poll's settings."""
        return domain.update_poll(db_session(), scoring_registry(), poll_id, data)


@blp.route("/polls/<int:poll_id>/open")
class PollOpen(MethodView):
    @roles("planner")
    @blp.response(200, PollOut)
    def post(self, poll_id):
        """Start fielding; the questionnaire is frozen."""
        return domain.open_poll(db_session(), poll_id)


@blp.route("/polls/<int:poll_id>/close")
class PollClose(MethodView):
    @roles("planner")
    @blp.response(200, PollOut)
    def post(self, poll_id):
        """Stop fielding; label unfinished interviews; snapshot the margins."""
        return domain.close_poll(db_session(), scoring_registry(), poll_id)


@blp.route("/polls/<int:poll_id>/quotas")
class PollQuotas(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, QuotaOut(many=True))
    def get(self, poll_id):
        """Completes against targets per township and stratum."""
        return domain.poll_quotas(db_session(), poll_id)


@blp.route("/polls/<int:poll_id>/margins")
class PollMargins(MethodView):
    @roles("planner", "analyst", "service")
    @blp.response(200, MarginOut(many=True))
    def get(self, poll_id):
        """The township margins used for raking (fetched from scoring when missing)."""
        return domain.poll_margins(db_session(), scoring_registry(), poll_id)

    @roles("planner")
    @blp.response(200, MarginOut(many=True))
    def post(self, poll_id):
        """Pull the margins from the scoring registry again."""
        return domain.snapshot_margins(db_session(), scoring_registry(), poll_id)
