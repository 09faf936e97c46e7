"""Estimates per poll, township and question (the scoring contract), outcome rates."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey.estimates import Options, compute, estimate_table
from services.survey.outcomes import outcome_table, poll_outcome_rates
from services.survey.polls import get_poll
from services.survey.registry import registry
from services.survey.schemas.estimates import (
    EstimateExportQuery,
    EstimateQuery,
    EstimatesOut,
    OutcomeExportQuery,
    OutcomeQuery,
    OutcomeRatesOut,
)
from services.survey.spreadsheets import export
from shared.auth import roles
from shared.db import db_session

blp = Blueprint("estimates", __name__,
                description="Weighted township estimates and AAPOR outcome rates")


def _estimates(poll_id: int, query: dict) -> dict:
    session = db_session()
    poll = get_poll(session, poll_id)
    filters = {k: query.pop(k) for k in ("township", "question")}
    query.pop("format", None)
    result = compute(session, registry(), poll, Options(**query))
    result["rows"] = [row for row in result["rows"]
                      if all(filters[k] is None or row[k] == filters[k] for k in filters)]
    return result


@blp.route("/polls/<int:poll_id>/estimates")
class PollEstimates(MethodView):
    @roles("service", "analyst", "planner")
    @blp.arguments(EstimateQuery, location="query")
    @blp.response(200, EstimatesOut)
    def get(self, query, poll_id):
        """Weighted proportion / mean / satisfaction rate with SE, Wilson interval,
        n, effective n and Kish deff, per township and question."""
        return _estimates(poll_id, query)


@blp.route("/polls/<int:poll_id>/estimates/export")
class PollEstimatesExport(MethodView):
    @roles("service", "analyst", "planner")
    @blp.arguments(EstimateExportQuery, location="query")
    @blp.response(200, description="CSV or XLSX of the estimate rows")
    def get(self, query, poll_id):
        fmt = query["format"]
        header, rows = estimate_table(_estimates(poll_id, query))
        return export(fmt, header, rows, f"poll-{poll_id}-estimates")


@blp.route("/polls/<int:poll_id>/outcome-rates")
class PollOutcomeRates(MethodView):
    @roles("analyst", "planner", "service")
    @blp.arguments(OutcomeQuery, location="query")
    @blp.response(200, OutcomeRatesOut)
    def get(self, query, poll_id):
        """AAPOR RR1–6, COOP1–4, REF1–3, CON1–3 per township and overall, with e."""
        session = db_session()
        return poll_outcome_rates(session, get_poll(session, poll_id), query["e"])


@blp.route("/polls/<int:poll_id>/outcome-rates/export")
class PollOutcomeRatesExport(MethodView):
    @roles("analyst", "planner", "service")
    @blp.arguments(OutcomeExportQuery, location="query")
    @blp.response(200, description="CSV or XLSX of counts and rates")
    def get(self, query, poll_id):
        session = db_session()
        result = poll_outcome_rates(session, get_poll(session, poll_id), query["e"])
        header, rows = outcome_table(result)
        return export(query["format"], header, rows, f"poll-{poll_id}-outcome-rates")
