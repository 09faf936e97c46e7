"""Key-task endpoints: tasks with milestones, progress reports, derived metrics."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import key_tasks
from services.scoring.api.self_checks import scoped_unit, submitter
from services.scoring.api.uploads import EXPORT_DOC, SPREADSHEET_BODY
from services.scoring.models import IdempotencyRecord
from services.scoring.schemas.intake import (
    KeyTaskMetricSchema,
    KeyTaskQuerySchema,
    KeyTaskSchema,
    MetricsQuerySchema,
    ProgressSchema,
)
from services.scoring.schemas.registry import ExportQuerySchema
from services.scoring.spreadsheets import export, read_table, uploaded_file
from shared.auth import ROLES, current_principal, require_unit, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent

blp = Blueprint("key_tasks", __name__, description="Major matters, key tasks, city projects")


@blp.route("/key-tasks")
class KeyTasks(MethodView):
    @roles(*ROLES)
    @blp.arguments(KeyTaskQuerySchema, location="query")
    @blp.response(200, KeyTaskSchema(many=True))
    def get(self, args):
        """Tasks with milestones (a unit token sees its own unit's tasks)."""
        unit = scoped_unit(args.get("unit"))
        return [key_tasks.task_dict(t, u)
                for t, u in key_tasks.list_tasks(db_session(), unit, args.get("category"))]

    @roles("planner")
    @blp.arguments(KeyTaskSchema)
    @blp.response(201, KeyTaskSchema)
    def post(self, data):
        """Create or replace a task and its milestones."""
        return key_tasks.task_dict(*key_tasks.save_task(db_session(), data))


@blp.route("/key-tasks/import")
class KeyTaskImport(MethodView):
    @roles("planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(200)
    def post(self):
        """Tasks from CSV/XLSX, one row per milestone, all or nothing.

        Columns: task, title_zh, title_en, category, unit, leader, cadence, milestone,
        milestone_title, due_on, planned_percent.
        """
        table = read_table(*uploaded_file(), ("task", "title_zh", "title_en", "category",
                                              "unit", "milestone", "due_on"),
                           ("leader", "cadence", "milestone_title", "planned_percent"))
        return key_tasks.import_tasks(db_session(), table)


@blp.route("/key-tasks/export")
class KeyTaskExport(MethodView):
    @roles("planner", "analyst", "service")
    @blp.arguments(ExportQuerySchema, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        rows = [[t.code, t.title_zh, t.title_en, t.category, u, t.leader, t.cadence, m.seq,
                 m.title, m.due_on, m.planned_percent]
                for t, u in key_tasks.list_tasks(db_session()) for m in t.milestones]
        return export(args["format"], "key_tasks", key_tasks.TASK_COLUMNS, rows)


@blp.route("/key-tasks/progress/import")
class ProgressImport(MethodView):
    @roles("unit", "planner")
    @blp.doc(**SPREADSHEET_BODY)
    @blp.response(201)
    def post(self):
        """Progress reports from CSV/XLSX, all or nothing (a unit: its own tasks only).

        Columns: task, percent, status, and optionally milestone, as_of, completed_on,
        narrative, evidence.
        """
        table = read_table(*uploaded_file(), ("task", "percent", "status"),
                           ("milestone", "as_of", "completed_on", "narrative", "evidence"))
        return key_tasks.import_progress(db_session(), table, submitter())


@blp.route("/key-tasks/metrics")
class KeyTaskMetrics(MethodView):
    @roles("planner", "analyst", "service", "unit")
    @blp.arguments(MetricsQuerySchema, location="query")
    @blp.response(200, KeyTaskMetricSchema(many=True))
    def get(self, args):
        """On-time milestone rate and progress lag per unit for a period."""
        return key_tasks.metrics(db_session(), args["period"], scoped_unit(args.get("unit")))


@blp.route("/key-tasks/<code>")
class KeyTaskByCode(MethodView):
    @roles(*ROLES)
    @blp.response(200, KeyTaskSchema)
    def get(self, code):
        task, unit = key_tasks.get_task(db_session(), code)
        if current_principal().role == "unit":
            require_unit(unit, hide=True)
        return key_tasks.task_dict(task, unit)


@blp.route("/key-tasks/<code>/progress")
class TaskProgress(MethodView):
    @roles("planner", "analyst", "service", "unit")
    @blp.response(200, ProgressSchema(many=True))
    def get(self, code):
        """Progress reports of a task (a unit token: its own tasks only)."""
        _task, unit = key_tasks.get_task(db_session(), code)
        require_unit(unit)
        return [key_tasks.progress_dict(r, code)
                for r in key_tasks.list_progress(db_session(), code)]

    @roles("unit", "planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(ProgressSchema)
    @blp.response(201, ProgressSchema)
    def post(self, data, code):
        """Report progress; `completed_on` dates a finished milestone."""
        return idempotent(IdempotencyRecord, f"progress:{code}", data,
                          lambda: key_tasks.progress_dict(key_tasks.report_progress(
                              db_session(), code, data, submitter()), code), per_caller=True)
