"""XLSForm for planners: upload a questionnaire or a checklist, see each problem by
sheet, row and column, download any version as a workbook (docs/xlsform.md)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, xlsform
from services.portal.api_errors import attempt
from services.portal.forms.xlsform import XlsformUploadForm
from shared.client import ServiceError
from shared.errors import NotFound
from shared.xlsform import XLSX_MIME

bp = Blueprint("xlsform", __name__, url_prefix="/xlsform")


@bp.route("", methods=["GET", "POST"])
@access.require("planner")
def index():
    form, problems, message = XlsformUploadForm(), [], None
    if form.validate_on_submit():
        upload = form.workbook.data
        made, refused = attempt(lambda: xlsform.upload(
            access.apis(), form.kind.data, upload.filename, upload.read(), form.key.data),
            show=lambda failed: [failed.body])  # the refusal's body: message and cells
        if refused:
            message = refused[0].get("message", "")
            problems = xlsform.cell_problems(refused[0].get("errors"))
        else:
            flash(_l("Imported %(code)s, version %(version)d.", code=made["code"],
                     version=made["version"]))
            return redirect(url_for("xlsform.index"))
    return render_template("xlsform/index.html", form=form, problems=problems,
                           message=message, versions=xlsform.versions(access.apis()))


@bp.get("/<kind>/<int:version_id>.xlsx")
@access.require("planner")
def download(kind: str, version_id: int):
    if kind not in xlsform.KINDS:
        raise NotFound(f"no {kind!r}")
    try:
        name, body = xlsform.download(access.apis(), kind, version_id)
    except ServiceError as failed:
        if failed.upstream_status != 422:
            raise
        reasons = [f"{field}: {'; '.join(texts)}"
                   for field, texts in (failed.body.get("errors") or {}).items()]
        flash(_l("This version cannot be written as XLSForm: %(reasons)s",
                 reasons=" · ".join(reasons)), "error")
        return redirect(url_for("xlsform.index"))
    return Response(body, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
