"""Checklist templates: ``/checklists``."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import checklists
from services.inspection.schemas.checklists import (
    ChecklistInSchema,
    ChecklistQuerySchema,
    ChecklistSchema,
)
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("checklists", __name__, description="Versioned checklist templates")


@blp.route("/checklists")
class Checklists(MethodView):
    @roles("planner", "inspector", "analyst")
    @blp.arguments(ChecklistQuerySchema, location="query")
    @blp.response(200, ChecklistSchema(many=True))
    def get(self, query):
        """Every version of every checklist (or of one ``code``)."""
        return checklists.list_templates(db_session(), query["code"])

    @roles("planner")
    @blp.arguments(ChecklistInSchema)
    @blp.response(201, ChecklistSchema)
    def post(self, data):
        """Add a checklist, or the next version of an existing ``code``."""
        return checklists.create_template(db_session(), data, current_principal().sub)


@blp.route("/checklists/<int:template_id>")
class ChecklistById(MethodView):
    @roles("planner", "inspector", "analyst")
    @blp.response(200, ChecklistSchema)
    def get(self, template_id):
        """One version of a checklist."""
        return checklists.get_template(db_session(), template_id)
