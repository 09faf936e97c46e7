"""Period endpoints: months, quarters, half-years and years; open/closed; deadline."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import periods
from services.scoring.schemas import periods as schemas
from shared.auth import ROLES, roles
from shared.db import db_session

blp = Blueprint("periods", __name__, description="Assessment periods and their state")


@blp.route("/periods")
class Periods(MethodView):
    @roles(*ROLES)
    @blp.arguments(schemas.PeriodQuerySchema, location="query")
    @blp.response(200, schemas.PeriodSchema(many=True))
    def get(self, args):
        """Defined periods in date order."""
        return periods.list_periods(db_session(), args.get("kind"))

    @roles("planner")
    @blp.arguments(schemas.PeriodSchema)
    @blp.response(201, schemas.PeriodSchema)
    def post(self, data):
        """Define a period by its code (2026-06, 2026-Q2, 2026-H1, 2026); 409 if it exists."""
        return periods.create_period(db_session(), data["code"], data.get("deadline"),
                                     data.get("state", "open"),
                                     deadline_days=current_app.config["SCORING_DEADLINE_DAYS"])


@blp.route("/periods/year")
class PeriodYear(MethodView):
    @roles("planner")
    @blp.arguments(schemas.YearSchema)
    @blp.response(201, schemas.PeriodSchema(many=True))
    def post(self, data):
        """Define the months, quarters, half-years and the year itself that are missing."""
        return periods.create_year(db_session(), data["year"],
                                   deadline_days=current_app.config["SCORING_DEADLINE_DAYS"])


@blp.route("/periods/<code>")
class PeriodByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, schemas.PeriodSchema)
    def get(self, code):
        return periods.get_period(db_session(), code)

    @roles("planner")
    @blp.arguments(schemas.PeriodPatchSchema)
    @blp.response(200, schemas.PeriodSchema)
    def patch(self, data, code):
        """Open or close a period, or move its self-check deadline."""
        return periods.update_period(db_session(), code, data.get("state"), data.get("deadline"))
