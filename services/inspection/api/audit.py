"""The audit log: ``/audit`` (read) and ``/audit/verify`` (check the hash chain)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import audit
from services.inspection.schemas.audit import AuditEntrySchema, AuditQuerySchema, ChainReportSchema
from shared.auth import roles
from shared.db import db_session

blp = Blueprint("audit", __name__, description="Append-only, hash-chained audit log")


@blp.route("/audit")
class Audit(MethodView):
    @roles()
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, query):
        """Entries after ``after_seq`` in order (admin only)."""
        return audit.list_entries(db_session(), **query)


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @roles()
    @blp.response(200, ChainReportSchema)
    def get(self):
        """Recompute the chain; names the first broken entry (admin only)."""
        return audit.verify_chain(db_session())
