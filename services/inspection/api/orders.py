"""Rectification orders: ``/orders``, the actions on one order (its transitions) and the
two order reports (evidence of a fix: ``api.evidence``)."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import evidence, orders
from services.inspection.api.actions import Action, add_action
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
READERS = ("planner", "inspector", "unit", "analyst", "service")


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
    (*READERS, "service"), AsOfQuerySchema, OverdueSchema,
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


ACTIONS = (
    Action("/orders/<int:order_id>/submit", "OrderSubmit",
           "The responsible unit reports the fix, with received evidence.",
           ("unit", "planner"), OrderSubmitSchema, OrderSchema, orders.submit_fix),
    Action("/orders/<int:order_id>/verify", "OrderVerify",
           "Accept the fix: closed (on time if submitted by the deadline).",
           ("inspector", "planner"), OrderVerifySchema, OrderSchema, orders.verify),
    Action("/orders/<int:order_id>/reject", "OrderReject",
           "Reject the fix with a reason: the order is reopened.",
           ("inspector", "planner"), OrderReasonSchema, OrderSchema, orders.reject),
    Action("/orders/<int:order_id>/reopen", "OrderReopen",
           "Reopen a closed order with a reason.",
           ("planner",), OrderReasonSchema, OrderSchema, orders.reopen),
    Action("/orders/<int:order_id>/follow-up", "OrderFollowUp",
           "Link a follow-up visit (to the same unit) to the order.",
           ("planner",), FollowUpSchema, OrderSchema, orders.link_follow_up),
)
for action in ACTIONS:
    add_action(blp, action)
add_evidence(blp, Owner(
    "order", writers=("unit", "planner"), readers=READERS,
    declare_summary="Declare a file of evidence of the fix; upload its bytes next.",
    declare=evidence.declare_for_order, find=evidence.order_attachment))
