"""AAPOR dispositions: every sample member's, and coding one by hand."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import dispositions as domain
from services.survey.schemas.dispositions import DispositionIn, DispositionOut
from services.survey.schemas.responses import InterviewOut
from shared.auth import roles
from shared.db import db_session

blp = Blueprint("dispositions", __name__, description="AAPOR dispositions of sample members")


@blp.route("/polls/<int:poll_id>/dispositions")
class PollDispositions(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, DispositionOut(many=True))
    def get(self, poll_id):
        """The AAPOR disposition of every sample member."""
        return domain.poll_dispositions(db_session(), poll_id)


@blp.route("/interviews/<int:interview_id>/disposition")
class InterviewDisposition(MethodView):
    @roles("planner")
    @blp.arguments(DispositionIn)
    @blp.response(200, InterviewOut)
    def put(self, data, interview_id):
        """Code an AAPOR disposition by hand (e.g. a returned invitation: 4.10)."""
        return domain.set_disposition(db_session(), interview_id, data["disposition"])
