"""Estimates per poll, township and question (the scoring contract)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import estimates as domain
from services.survey.schemas.downloads import file_response
from services.survey.schemas.estimates import EstimateExportQuery, EstimateQuery, EstimatesOut
from services.survey.scoring_registry import scoring_registry
from shared.auth import roles
from shared.db import db_session
from shared.spreadsheets import export

blp = Blueprint("estimates", __name__, description="Weighted township estimates")


@blp.route("/polls/<int:poll_id>/estimates")
class PollEstimates(MethodView):
    @roles("service", "analyst", "planner")
    @blp.arguments(EstimateQuery, location="query")
    @blp.response(200, EstimatesOut)
    def get(self, query, poll_id):
        """Weighted proportion / mean / satisfaction rate with SE, Wilson interval,
        n, effective n and Kish deff, per township and question."""
        return domain.poll_estimates(db_session(), scoring_registry(), poll_id, **query)


@blp.route("/polls/<int:poll_id>/estimates/export")
class PollEstimatesExport(MethodView):
    @roles("service", "analyst", "planner")
    @blp.arguments(EstimateExportQuery, location="query")
    @file_response(blp, "CSV or XLSX of the estimate rows")
    def get(self, query, poll_id):
        fmt = query.pop("format")
        return export(fmt, f"poll-{poll_id}-estimates",
                      *domain.estimate_table(db_session(), scoring_registry(), poll_id, **query))
