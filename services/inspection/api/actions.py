"""The POST actions on one visit or order (``/visits/{visit_id}/check-in``,
``/orders/{order_id}/verify``, …): one view, made for each action of the table in
``api.visits`` and ``api.orders``: parse the body, call one domain function with the
session, the caller and the id from the path, answer through a response schema."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema
from sqlalchemy.orm import Session

from shared.auth import Principal, current_principal, roles
from shared.db import db_session


@dataclass(frozen=True)
class Action:
    """``path`` (one ``<int:…>`` id), the view's endpoint name and summary, who may call
    it, the body it takes and the schema of its answer (200), and what it runs:
    ``run(session, principal, id, body)``."""

    path: str
    endpoint: str
    summary: str
    callers: tuple[str, ...]
    takes: type[Schema]
    answers: type[Schema]
    run: Callable[[Session, Principal, int, dict[str, Any]], Any]


def add_action(blp: Blueprint, action: Action) -> None:
    """Register the view of ``action`` on ``blp``."""

    class ActionView(MethodView):
        @roles(*action.callers)
        @blp.doc(summary=action.summary)
        @blp.arguments(action.takes)
        @blp.response(200, action.answers)
        def post(self, data, **path):
            (target,) = path.values()
            return action.run(db_session(), current_principal(), target, data)

    blp.route(action.path, endpoint=action.endpoint)(ActionView)
