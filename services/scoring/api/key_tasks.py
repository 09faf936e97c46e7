"""Key-task endpoints: tasks with milestones, progress reports, derived metrics."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import key_tasks
from services.scoring.models import IdempotencyRecord
from services.scoring.reporters import readable_unit, reporter
from services.scoring.schemas import ExportQuerySchema
from services.scoring.schemas import key_tasks as schemas
from services.scoring.schemas.files import SPREADSHEET_BODY, downloads
from services.scoring.spreadsheets import export_cell
from shared.auth import ROLES, current_principal, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent
from shared.spreadsheets import export, uploaded_file

blp = Blueprint("key_tasks", __name__, description="Major matters, key tasks, city projects")


@blp.route("/key-tasks")
class KeyTasks(MethodView):
    @roles(*ROLES)
    @blp.arguments(schemas.KeyTaskQuerySchema, location="query")
    @blp.response(200, schemas.KeyTaskOutSchema(many=True))
    def get(self, args):
        """Tasks with milestones (a unit token sees its own unit's tasks)."""
        return key_tasks.list_tasks(db_session(), readable_unit(current_principal(),
                                                                args.get("unit")),
                                    args.get("category"))

    @roles("planner")
    @blp.arguments(schemas.KeyTaskSchema)
    @blp.response(201, schemas.KeyTaskOutSchema)
    def post(self, data):
        """Create or replace a task and its milestones."""
        return key_tasks.save_task(db_session(), data)


@blp.route("/key-tasks/import")
class KeyTaskImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200, schemas.KeyTaskImportResultSchema)
    def post(self):
        """Tasks from CSV/XLSX, one row per milestone, all or nothing.

        Columns: task, title_zh, title_en, category, unit, leader, cadence, milestone,
        milestone_title, due_on, planned_percent.
        """
        return key_tasks.import_tasks(db_session(), *uploaded_file())


@blp.route("/key-tasks/export")
class KeyTaskExport(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(ExportQuerySchema, location="query")
    @downloads(blp)
    def get(self, args):
        return export(args["format"], *key_tasks.sheet(db_session()), cell=export_cell)


@blp.route("/key-tasks/progress/import")
class ProgressImport(MethodView):
    @roles("unit", "planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(201, schemas.ProgressImportResultSchema)
    def post(self):
        """Progress reports from CSV/XLSX, all or nothing (a unit: its own tasks only).

        Columns: task, percent, status, and optionally milestone, as_of, completed_on,
        narrative, evidence.
        """
        return key_tasks.import_progress(db_session(), *uploaded_file(),
                                         reporter(current_principal()))


@blp.route("/key-tasks/metrics")
class KeyTaskMetrics(MethodView):
    @roles("planner", "analyst", "service", "unit")
    @blp.arguments(schemas.MetricsQuerySchema, location="query")
    @blp.response(200, schemas.KeyTaskMetricSchema(many=True))
    def get(self, args):
        """On-time milestone rate and progress lag per unit for a period."""
        return key_tasks.metrics(db_session(), args["period"],
                                 readable_unit(current_principal(), args.get("unit")))


@blp.route("/key-tasks/<code>")
class KeyTaskByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, schemas.KeyTaskOutSchema)
    def get(self, code):
        return key_tasks.read_task(db_session(), code, current_principal())


@blp.route("/key-tasks/<code>/progress")
class TaskProgress(MethodView):
    @roles("planner", "analyst", "service", "unit")
    @blp.response(200, schemas.ProgressOutSchema(many=True))
    def get(self, code):
        """Progress reports of a task (a unit token: its own tasks only)."""
        return key_tasks.list_progress(db_session(), code, current_principal())

    @roles("unit", "planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(schemas.ProgressSchema)
    @blp.response(201, schemas.ProgressOutSchema)
    def post(self, data, code):
        """Report progress; `completed_on` dates a finished milestone."""
        return idempotent(IdempotencyRecord, f"progress:{code}", data,
                          lambda: key_tasks.report_progress(db_session(), code, data,
                                                            reporter(current_principal())),
                          per_caller=True,
                          reload=lambda report_id: key_tasks.get_progress(db_session(),
                                                                          report_id))
