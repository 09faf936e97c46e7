"""A rectification order, as the inspection API shows it to the person."""

from __future__ import annotations

from flask import Blueprint, render_template

from services.portal import access, orders

bp = Blueprint("orders", __name__)


@bp.get("/orders/<int:order_id>")
@access.require("unit", "planner", "inspector", "analyst", "leader")
def detail(order_id: int):
    return render_template("orders/detail.html", order=orders.get_order(access.apis(), order_id))
