"""AAPOR outcome rates of a poll, per township and overall."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import outcome_rates as domain
from services.survey.schemas.downloads import file_response
from services.survey.schemas.outcome_rates import (
    OutcomeExportQuery,
    OutcomeQuery,
    OutcomeRatesOut,
)
from shared.auth import roles
from shared.db import db_session
from shared.spreadsheets import export

blp = Blueprint("outcome-rates", __name__, description="AAPOR outcome rates")


@blp.route("/polls/<int:poll_id>/outcome-rates")
class PollOutcomeRates(MethodView):
    @roles("analyst", "planner", "service")
    @blp.arguments(OutcomeQuery, location="query")
    @blp.response(200, OutcomeRatesOut)
    def get(self, query, poll_id):
        """AAPOR RR1–6, COOP1–4, REF1–3, CON1–3 per township and overall, with e."""
        return domain.poll_outcome_rates(db_session(), poll_id, query["e"])


@blp.route("/polls/<int:poll_id>/outcome-rates/export")
class PollOutcomeRatesExport(MethodView):
    @roles("analyst", "planner", "service")
    @blp.arguments(OutcomeExportQuery, location="query")
    @file_response(blp, "CSV or XLSX of counts and rates")
    def get(self, query, poll_id):
        return export(query["format"], f"poll-{poll_id}-outcome-rates",
                      *domain.outcome_table(db_session(), poll_id, query["e"]))
