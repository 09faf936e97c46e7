"""Rectification orders: ``/orders``."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import orders
from services.inspection.api.evidence_io import BINARY_BODY, download, upload
from services.inspection.reports import table_response
from services.inspection.schemas.order import (
    AsOfQuerySchema,
    ClosureRateSchema,
    FollowUpSchema,
    OrderInSchema,
    OrderQuerySchema,
    OrderReasonSchema,
    OrderSchema,
    OrderSubmitSchema,
    OrderVerifySchema,
    OverdueSchema,
)
from services.inspection.schemas.visit import AttachmentInSchema, AttachmentSchema
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("orders", __name__, description="Rectification orders from findings")
READERS = ("planner", "inspector", "unit", "analyst")
OVERDUE_COLUMNS = ["id", "unit", "visit_id", "finding_id", "deadline", "days_overdue", "state",
                   "instructions"]
RATE_COLUMNS = ["unit", "orders", "due", "closed", "closed_on_time", "rate"]


@blp.route("/orders")
class Orders(MethodView):
    @roles(*READERS)
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, OrderSchema(many=True))
    def get(self, query):
        """Orders; a unit sees only its own."""
        return orders.list_orders(db_session(), current_principal(), **query)

    @roles("planner", "inspector")
    @blp.arguments(OrderInSchema)
    @blp.response(201, OrderSchema)
    def post(self, data):
        """Issue an order from a finding, with a deadline and the responsible unit."""
        return orders.create_order(db_session(), current_principal(), data)


@blp.route("/orders/overdue")
class OrdersOverdue(MethodView):
    @roles(*READERS)
    @blp.arguments(AsOfQuerySchema, location="query")
    @blp.response(200, OverdueSchema(many=True))
    def get(self, query):
        """Orders not closed by their deadline; ``format=csv|xlsx`` for a spreadsheet."""
        rows = orders.overdue(db_session(), current_principal(), query["as_of"])
        if query["format"] != "json":
            return table_response(rows, OVERDUE_COLUMNS, query["format"], "overdue-orders")
        return rows


@blp.route("/orders/closure-rates")
class OrdersClosureRates(MethodView):
    @roles("planner", "analyst", "service", "unit")
    @blp.arguments(AsOfQuerySchema, location="query")
    @blp.response(200, ClosureRateSchema(many=True))
    def get(self, query):
        """Per unit: orders due, closed on time, on-time closure rate."""
        rows = orders.closure_rates(db_session(), current_principal(), query["as_of"])
        if query["format"] != "json":
            return table_response(rows, RATE_COLUMNS, query["format"], "closure-rates")
        return rows


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @roles(*READERS)
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        return orders.get_order(db_session(), current_principal(), order_id)


@blp.route("/orders/<int:order_id>/attachments")
class OrderAttachments(MethodView):
    @roles("unit", "planner")
    @blp.arguments(AttachmentInSchema)
    @blp.response(201, AttachmentSchema)
    def post(self, data, order_id):
        """Declare a file of evidence of the fix; upload its bytes next."""
        return orders.declare_evidence(db_session(), current_principal(), order_id, data)


@blp.route("/orders/<int:order_id>/attachments/<int:attachment_id>/content")
class OrderAttachmentContent(MethodView):
    @roles("unit", "planner")
    @blp.doc(**BINARY_BODY)
    @blp.response(200, AttachmentSchema)
    def put(self, order_id, attachment_id):
        """Stream the file; 422 and nothing stored unless size and SHA-256 match."""
        return upload(orders.order_attachment(db_session(), current_principal(), order_id,
                                              attachment_id))

    @roles(*READERS)
    @blp.response(200)
    def get(self, order_id, attachment_id):
        return download(orders.order_attachment(db_session(), current_principal(), order_id,
                                                attachment_id))


@blp.route("/orders/<int:order_id>/submit")
class OrderSubmit(MethodView):
    @roles("unit", "planner")
    @blp.arguments(OrderSubmitSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """The responsible unit reports the fix, with received evidence."""
        return orders.submit_fix(db_session(), current_principal(), order_id, data)


@blp.route("/orders/<int:order_id>/verify")
class OrderVerify(MethodView):
    @roles("inspector", "planner")
    @blp.arguments(OrderVerifySchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """Accept the fix: closed (on time if submitted by the deadline)."""
        return orders.verify(db_session(), current_principal(), order_id, data)


@blp.route("/orders/<int:order_id>/reject")
class OrderReject(MethodView):
    @roles("inspector", "planner")
    @blp.arguments(OrderReasonSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """Reject the fix with a reason: the order is reopened."""
        return orders.reject(db_session(), current_principal(), order_id, data)


@blp.route("/orders/<int:order_id>/reopen")
class OrderReopen(MethodView):
    @roles("planner")
    @blp.arguments(OrderReasonSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """Reopen a closed order with a reason."""
        return orders.reopen(db_session(), current_principal(), order_id, data)


@blp.route("/orders/<int:order_id>/follow-up")
class OrderFollowUp(MethodView):
    @roles("planner")
    @blp.arguments(FollowUpSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id):
        """Link a follow-up visit (to the same unit) to the order."""
        return orders.link_follow_up(db_session(), current_principal(), order_id,
                                     data["visit_id"])
