"""A poll's responses: interviews with their answers (no contact identity), as JSON or
as a spreadsheet."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import responses as domain
from services.survey.schemas.downloads import DownloadQuery, file_response
from services.survey.schemas.responses import InterviewOut, InterviewQuery
from shared.auth import roles
from shared.db import db_session
from shared.spreadsheets import export

blp = Blueprint("responses", __name__, description="Responses: interviews and their answers")


@blp.route("/polls/<int:poll_id>/responses")
class PollResponses(MethodView):
    @roles("planner", "analyst")
    @blp.arguments(InterviewQuery, location="query")
    @blp.response(200, InterviewOut(many=True))
    def get(self, query, poll_id):
        """Interviews with their answers (no contact identity)."""
        return domain.poll_responses(db_session(), poll_id, **query)


@blp.route("/polls/<int:poll_id>/responses/export")
class PollResponsesExport(MethodView):
    @roles("planner", "analyst")
    @blp.arguments(DownloadQuery, location="query")
    @file_response(blp, "CSV or XLSX, one row per interview")
    def get(self, query, poll_id):
        return export(query["format"], f"poll-{poll_id}-responses",
                      *domain.response_table(db_session(), poll_id))
