"""Score runs: start, list, read, publish, recompute; rankings, breakdowns, exports."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import runs
from services.scoring.models import IdempotencyRecord
from services.scoring.run_inputs import service_sources
from services.scoring.schemas import runs as schemas
from services.scoring.schemas.files import downloads
from services.scoring.spreadsheets import export_cell
from shared.auth import current_principal, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent
from shared.spreadsheets import export

blp = Blueprint("runs", __name__, description="Score runs, rankings and assessments")
READERS = ("planner", "analyst", "service", "unit")


@blp.route("/runs")
class Runs(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.RunQuerySchema, location="query")
    @blp.response(200, schemas.RunSummarySchema(many=True))
    def get(self, query):
        """Runs, newest first; a unit token sees published runs only."""
        return runs.list_runs(db_session(), current_principal(), **query)

    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(schemas.RunCreateSchema)
    @blp.response(201, schemas.RunSchema)
    @blp.alt_response(503, description="a source service is down (missing_source 'fail')")
    def post(self, data):
        """Collect inputs, snapshot them, compute and store a run (state ``computed``).

        Idempotent on an ``Idempotency-Key`` header: a replay returns the same run."""
        config = current_app.config
        sources = service_sources(config["SURVEY_URL"], config["INSPECTION_URL"],
                                  config["SCORING_SOURCE_TIMEOUT"],
                                  config["SCORING_SOURCE_RETRIES"])
        return idempotent(IdempotencyRecord, "runs.create", data,
                          lambda: runs.create_run(db_session(), data, current_principal().sub,
                                                  sources),
                          reload=lambda run_id: runs.get_run(db_session(), run_id))


@blp.route("/runs/<int:run_id>")
class RunById(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.RunSchema)
    def get(self, run_id):
        """A run with its method record (404 for a unit token until published)."""
        return runs.get_run(db_session(), run_id, current_principal())

    @roles("planner")
    @blp.response(204)
    def delete(self, run_id):
        """Delete a computed run; 409 for a published one."""
        runs.delete_run(db_session(), run_id)


@blp.route("/runs/<int:run_id>/inputs")
class RunInputs(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, schemas.RunInputsSchema)
    def get(self, run_id):
        """The stored input snapshot (its SHA-256 is the run's ``inputs_sha256``)."""
        return runs.inputs(db_session(), run_id)


@blp.route("/runs/<int:run_id>/publish")
class RunPublish(MethodView):
    @roles("planner")
    @blp.response(200, schemas.RunSchema)
    def post(self, run_id):
        """computed → published; freezes the scheme version; 409 when already published."""
        return runs.publish(db_session(), run_id, current_principal().sub)


@blp.route("/runs/<int:run_id>/recompute")
class RunRecompute(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, schemas.RecomputeSchema)
    def post(self, run_id):
        """Score the stored snapshot again and compare every number and both hashes."""
        return runs.recompute(db_session(), run_id)


@blp.route("/runs/<int:run_id>/ranking")
class RunRanking(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.RankingQuerySchema, location="query")
    @blp.response(200, schemas.RankingRowSchema(many=True))
    @downloads(blp)
    def get(self, query, run_id):
        """Ranking per peer group with intervals, probabilities and the change since the
        previous run of the same kind; ``format=csv|xlsx`` for spreadsheets."""
        group = query.get("group")
        if query["format"] == "json":
            return runs.ranking(db_session(), run_id, group, current_principal())
        return export(query["format"], *runs.ranking_sheet(db_session(), run_id, group,
                                                           current_principal()),
                      cell=export_cell)


@blp.route("/runs/<int:run_id>/sensitivity")
class RunSensitivity(MethodView):
    @roles(*READERS)
    @blp.arguments(schemas.SensitivityQuerySchema, location="query")
    @blp.response(200, schemas.SensitivitySchema)
    @downloads(blp)
    def get(self, query, run_id):
        """The engine's sensitivity report of a run started with ``sensitivity: true``: group
        ranks under every alternative normalisation and weighting, the mean and largest
        shift per variant and each unit's largest move; 404 naming the option for a run
        without it; a unit token gets its own unit's entries only. ``format=csv|xlsx``:
        one row per unit (peer group, the run's rank, largest move, rank per variant)."""
        if query["format"] == "json":
            return runs.sensitivity(db_session(), run_id, current_principal())
        return export(query["format"], *runs.sensitivity_sheet(db_session(), run_id,
                                                               current_principal()),
                      cell=export_cell)


@blp.route("/runs/<int:run_id>/units/<code>")
class RunUnit(MethodView):
    @roles(*READERS)
    @blp.response(200, schemas.BreakdownSchema)
    def get(self, run_id, code):
        """A unit's breakdown: contributions (adding up to the composite), what pulled it
        up or down against its group, horizontal and vertical comparison."""
        return runs.breakdown(db_session(), run_id, code, current_principal())
