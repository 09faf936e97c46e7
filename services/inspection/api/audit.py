"""The audit log: ``/audit`` (read) and ``/audit/verify`` (check the hash chain)."""

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.inspection.audit import verify_chain
from services.inspection.models.audit import AuditEntry
from services.inspection.schemas.report import AuditEntrySchema, AuditQuerySchema, ChainReportSchema
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
        stmt = select(AuditEntry).where(AuditEntry.seq > query["after_seq"])
        for field in ("action", "subject_type", "subject_id"):
            if query[field]:
                stmt = stmt.where(getattr(AuditEntry, field) == query[field])
        return list(db_session().scalars(stmt.order_by(AuditEntry.seq).limit(query["limit"])))


@blp.route("/audit/verify")
class AuditVerify(MethodView):
    @roles()
    @blp.response(200, ChainReportSchema)
    def get(self):
        """Recompute the chain; names the first broken entry (admin only)."""
        return verify_chain(db_session()).as_dict()
