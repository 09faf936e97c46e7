"""Rectification orders: ``/orders``, their transitions and the two order reports
(evidence of a fix: ``api.evidence``)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import evidence, orders
from services.inspection.api.evidence import Owner, add_evidence
from services.inspection.api.reports import Report, add_report
from services.inspection.schemas.orders import (
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
from shared.auth import current_principal, roles
from shared.db import db_session

blp = Blueprint("orders", __name__, description="Rectification orders from findings")
READERS = ("planner", "inspector", "unit", "analyst")


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


add_report(blp, Report(
    "/orders/overdue", "OrdersOverdue",
    "Orders not closed by their deadline; ``format=csv|xlsx`` for a spreadsheet.",
    READERS, AsOfQuerySchema, OverdueSchema,
    lambda session, who, query: orders.overdue(session, who, query["as_of"]),
    "overdue-orders"))
add_report(blp, Report(
    "/orders/closure-rates", "OrdersClosureRates",
    "Per unit: orders due, closed on time, on-time closure rate.",
    ("planner", "analyst", "service", "unit"), AsOfQuerySchema, ClosureRateSchema,
    lambda session, who, query: orders.closure_rates(session, who, query["as_of"]),
    "closure-rates"))


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @roles(*READERS)
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        """One order; another unit's (or, for an inspector, another's) is 404."""
        return orders.get_order(db_session(), current_principal(), order_id)


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


add_evidence(blp, Owner(
    "order", writers=("unit", "planner"), readers=READERS,
    declare_summary="Declare a file of evidence of the fix; upload its bytes next.",
    declare=evidence.declare_for_order, find=evidence.order_attachment))
