"""Checklists as XLSForm workbooks: import a new version, export one (docs/xlsform.md)."""

import hashlib

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import xlsform
from services.inspection.models import IdempotencyRecord
from services.inspection.models.checklists import ChecklistTemplate
from services.inspection.schemas.checklists import ChecklistSchema
from services.inspection.schemas.xlsform import ERRORS_DOC, XLSX_RESPONSE, XlsformUpload
from shared.auth import current_principal, roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent
from shared.xlsform import XLSX_MIME

blp = Blueprint("checklist_xlsform", __name__,
                description="Checklists from and to XLSForm (ODK, KoBoToolbox) workbooks")


@blp.route("/checklists/xlsform")
class ChecklistXlsformImport(MethodView):
    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(XlsformUpload, location="files")
    @blp.response(201, ChecklistSchema)
    @blp.alt_response(422, description=ERRORS_DOC)
    def post(self, files):
        """Import an XLSForm workbook (multipart field ``file``) as the next version of
        its ``form_id``; what a checklist cannot express is refused, naming each cell.

        A retry with the same ``Idempotency-Key`` (and the same file) returns the version
        made first."""
        content = files["file"].read()
        return idempotent(IdempotencyRecord, "checklists_xlsform",
                          {"sha256": hashlib.sha256(content).hexdigest()},
                          lambda: xlsform.import_checklist(db_session(), content,
                                                           current_principal().sub),
                          reload=lambda template_id: db_session().get(ChecklistTemplate,
                                                                      template_id))


@blp.route("/checklists/<int:template_id>/xlsform")
class ChecklistXlsformExport(MethodView):
    @roles("planner", "inspector", "analyst")
    @blp.response(200, **XLSX_RESPONSE)
    def get(self, template_id):
        """The checklist version as an XLSForm workbook that imports back to the same items."""
        name, body = xlsform.export_workbook(db_session(), template_id)
        return Response(body, mimetype=XLSX_MIME,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
