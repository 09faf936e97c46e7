"""Paper mode: keyed-in questionnaires imported from CSV or XLSX, all or nothing."""

from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import paper as domain
from services.survey.schemas.paper import PaperImportIn
from services.survey.schemas.responses import InterviewOut
from shared.auth import roles
from shared.db import db_session

blp = Blueprint("paper", __name__, description="Paper questionnaires keyed in and imported")


@blp.route("/polls/<int:poll_id>/paper-import")
class PaperImport(MethodView):
    @roles("planner")
    @blp.arguments(PaperImportIn, location="files")
    @blp.response(201, InterviewOut(many=True))
    @blp.alt_response(422, description="row/column errors; nothing imported")
    def post(self, files, poll_id):
        """Import keyed-in paper forms (multipart field ``file``: .csv or .xlsx)."""
        upload = files["file"]
        return domain.import_forms(db_session(), poll_id, upload.filename or "", upload.read())
