"""Admin page: the account events, newest first, a page at a time."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from services.portal import access, account_events
from shared.db import db_session

bp = Blueprint("events", __name__)
PAGE_SIZE = 50


@bp.get("/events")
@access.require("admin")
def index():
    number = max(request.args.get("page", 1, type=int), 1)
    rows, total = account_events.page(db_session(), number, PAGE_SIZE)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("events/index.html", rows=rows, page=number, pages=pages,
                           total=total)
