"""Questionnaires as XLSForm workbooks: import a new version, export one (docs/xlsform.md)."""

import hashlib

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import xlsform as domain
from services.survey.models import IdempotencyRecord
from services.survey.models.questionnaires import Questionnaire
from services.survey.schemas.questionnaires import QuestionnaireOut
from services.survey.schemas.xlsform import ERRORS_DOC, XLSX_RESPONSE, XlsformUpload
from shared.auth import roles
from shared.db import db_session
from shared.idempotency import HEADER_DOC, idempotent
from shared.xlsform import XLSX_MIME

blp = Blueprint("questionnaire_xlsform", __name__,
                description="Questionnaires from and to XLSForm (ODK, KoBoToolbox) workbooks")


@blp.route("/questionnaires/xlsform")
class QuestionnaireXlsformImport(MethodView):
    @roles("planner")
    @blp.doc(**HEADER_DOC)
    @blp.arguments(XlsformUpload, location="files")
    @blp.response(201, QuestionnaireOut)
    @blp.alt_response(422, description=ERRORS_DOC)
    def post(self, files):
        """Import an XLSForm workbook (multipart field ``file``) as the next version of
        its ``form_id``; what Kaoping cannot express is refused, naming each cell.

        A retry with the same ``Idempotency-Key`` (and the same file) returns the version
        made first."""
        content = files["file"].read()
        return idempotent(IdempotencyRecord, "questionnaires_xlsform",
                          {"sha256": hashlib.sha256(content).hexdigest()},
                          lambda: domain.import_questionnaire(db_session(), content),
                          reload=lambda version_id: db_session().get(Questionnaire, version_id))


@blp.route("/questionnaires/<int:questionnaire_id>/xlsform")
class QuestionnaireXlsformExport(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, **XLSX_RESPONSE)
    @blp.alt_response(422, description="the version uses what XLSForm cannot carry")
    def get(self, questionnaire_id):
        """The version as an XLSForm workbook that imports back to the same document."""
        name, body = domain.export_workbook(db_session(), questionnaire_id)
        return Response(body, mimetype=XLSX_MIME,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
