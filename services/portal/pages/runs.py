"""Publishing a computed score run (a planner's button on the home page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, runs
from services.portal.api_errors import translate
from shared.client import ServiceError

bp = Blueprint("runs", __name__)


@bp.post("/runs/<int:run_id>/publish")
@access.require("planner")
def publish(run_id: int):
    try:
        runs.publish(access.apis(), run_id)
    except ServiceError as failed:
        if failed.upstream_status != 409:
            raise
        flash(translate(failed.body.get("message", "")), "error")
    else:
        flash(_l("Run %(id)d is published.", id=run_id))
    return redirect(url_for("home.index"))
