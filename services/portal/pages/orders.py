"""Rectification orders as the inspection API shows them to the person; the responsible
unit's reply with photos or files, and the state of each reply."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l

from services.portal import access, clock, orders
from services.portal.api_errors import attempt
from services.portal.forms.orders import ReplyForm
from shared.errors import ValidationFailed

bp = Blueprint("orders", __name__)
READERS = ("unit", "planner", "inspector", "analyst", "leader")
# What the API's file answer passes on to the browser.
FILE_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "ETag")


@bp.get("/orders")
@access.require(*READERS)
def index():
    return render_template("orders/index.html",
                           orders=orders.list_orders(access.apis(), clock.today()))


@bp.get("/orders/<int:order_id>")
@access.require(*READERS)
def detail(order_id: int):
    return _page(order_id, ReplyForm(), [])


@bp.post("/orders/<int:order_id>/reply")
@access.require("unit", "planner")
def reply(order_id: int):
    form, problems = ReplyForm(), []
    if form.validate_on_submit():
        try:
            _sent, problems = attempt(lambda: orders.reply(
                access.apis(), order_id, form.note.data.strip(), form.uploads()), form)
        except ValidationFailed as refused:
            form.files.errors = [*form.files.errors, *refused.errors.get("files", [])]
            problems = [refused.message]
        if not problems:
            flash(_l("Your reply is sent; the inspectors will verify it."))
            return redirect(url_for("orders.detail", order_id=order_id))
    return _page(order_id, form, problems)


@bp.get("/orders/<int:order_id>/files/<int:attachment_id>")
@access.require(*READERS)
def file(order_id: int, attachment_id: int):
    answer = orders.download(access.apis(), order_id, attachment_id)
    headers = {name: answer.headers[name] for name in FILE_HEADERS if name in answer.headers}
    return Response(answer.iter_content(64 * 1024), headers=headers)


def _page(order_id: int, form: ReplyForm, problems: list):
    order = orders.get_order(access.apis(), order_id)
    may_reply = g.person.role in ("unit", "planner", "admin") \
        and order["state"] in orders.REPLYABLE
    return render_template("orders/detail.html", order=order, replies=orders.replies(order),
                           form=form, problems=problems, may_reply=may_reply,
                           today=clock.today().isoformat())


def allow_large_reply() -> None:
    """``before_request`` of the app, ahead of the CSRF check (which reads the body): a
    reply's photos may be larger than a form (``PORTAL_PHOTO_MAX_BYTES``, on this route
    and the spreadsheet upload only)."""
    if request.endpoint in ("orders.reply", "units.upload"):
        request.max_content_length = current_app.config["PORTAL_PHOTO_MAX_BYTES"]
