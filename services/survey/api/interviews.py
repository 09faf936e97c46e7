"""Web links, paper imports, responses, dispositions and (for planners only) contacts."""

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.survey import interviews as domain
from services.survey.models.interview import Interview, RespondentContact
from services.survey.paper import import_forms
from services.survey.polls import get_poll
from services.survey.responses import response_table
from services.survey.schemas.interviews import (
    ContactOut,
    DispositionIn,
    DispositionOut,
    ExportQuery,
    InterviewOut,
    InterviewQuery,
    LinksIn,
    LinksOut,
    PaperImportIn,
)
from services.survey.spreadsheets import export
from shared.auth import roles
from shared.db import db_session
from shared.errors import Conflict, ValidationFailed

blp = Blueprint("interviews", __name__,
                description="Respondent links, paper imports, responses and dispositions")
interviews_blp = Blueprint("interview", __name__,
                           description="One sample member's disposition")


def _link_url(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return f"{base.rstrip('/')}/r/{token}"


@blp.route("/polls/<int:poll_id>/links")
class PollLinks(MethodView):
    @roles("planner")
    @blp.arguments(LinksIn)
    @blp.response(201, LinksOut)
    def post(self, data, poll_id):
        """Issue one-time web links (shown once; only their hashes are kept).

        They expire at the end of the poll's field period (county time), or
        ``expires_in_days`` after issue when given."""
        session = db_session()
        poll = get_poll(session, poll_id)
        if "web" not in poll.modes:
            raise Conflict(f"Poll {poll_id} has no web mode", {"mode": ["web"]})
        count = data["count"] or len(data["contacts"])
        if not count:
            raise ValidationFailed("Nothing to issue", {"count": ["give count or contacts"]})
        issued = domain.issue_links(session, poll, count, township=data["township"],
                                    stratum=data["stratum"], cluster=data["cluster"],
                                    contacts=data["contacts"],
                                    expires_in_days=data["expires_in_days"])
        return {"poll_id": poll_id, "links": [
            {"interview_id": link.interview.id, "token": token, "url": _link_url(token),
             "township": link.interview.township, "stratum": link.interview.stratum,
             "expires_at": link.expires_at}
            for token, link in issued]}


@blp.route("/polls/<int:poll_id>/paper-import")
class PaperImport(MethodView):
    @roles("planner")
    @blp.arguments(PaperImportIn, location="files")
    @blp.response(201, InterviewOut(many=True))
    @blp.alt_response(422, description="row/column errors; nothing imported")
    def post(self, files, poll_id):
        """Import keyed-in paper forms (multipart field ``file``: .csv or .xlsx)."""
        upload = files["file"]
        session = db_session()
        return import_forms(session, get_poll(session, poll_id), upload.filename or "",
                            upload.read())


@blp.route("/polls/<int:poll_id>/responses")
class PollResponses(MethodView):
    @roles("planner", "analyst")
    @blp.arguments(InterviewQuery, location="query")
    @blp.response(200, InterviewOut(many=True))
    def get(self, query, poll_id):
        """Interviews with their answers (no contact identity)."""
        session = db_session()
        get_poll(session, poll_id)
        select_ = select(Interview).where(Interview.poll_id == poll_id).order_by(Interview.id)
        if query["township"]:
            select_ = select_.where(Interview.township == query["township"])
        if query["status"]:
            select_ = select_.where(Interview.status == query["status"])
        return list(session.scalars(select_))


@blp.route("/polls/<int:poll_id>/responses/export")
class PollResponsesExport(MethodView):
    @roles("planner", "analyst")
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="CSV or XLSX, one row per interview")
    def get(self, query, poll_id):
        session = db_session()
        header, rows = response_table(session, get_poll(session, poll_id))
        return export(query["format"], header, rows, f"poll-{poll_id}-responses")


@blp.route("/polls/<int:poll_id>/dispositions")
class PollDispositions(MethodView):
    @roles("planner", "analyst")
    @blp.response(200, DispositionOut(many=True))
    def get(self, poll_id):
        """The AAPOR disposition of every sample member."""
        session = db_session()
        get_poll(session, poll_id)
        rows = []
        for interview in session.scalars(select(Interview).where(
                Interview.poll_id == poll_id).order_by(Interview.id)):
            disposition = domain.DISPOSITIONS[interview.disposition]
            rows.append({"id": interview.id, "mode": interview.mode,
                         "township": interview.township, "stratum": interview.stratum,
                         "status": interview.status, "disposition": interview.disposition,
                         "category": disposition.category, "label_en": disposition.en,
                         "label_zh": disposition.zh})
        return rows


@blp.route("/polls/<int:poll_id>/contacts")
class PollContacts(MethodView):
    @roles("planner")
    @blp.response(200, ContactOut(many=True))
    def get(self, poll_id):
        """Contact identity of sample members (planners only; analysts never see it)."""
        session = db_session()
        get_poll(session, poll_id)
        return list(session.scalars(
            select(RespondentContact)
            .join(Interview, Interview.id == RespondentContact.interview_id)
            .where(Interview.poll_id == poll_id).order_by(RespondentContact.interview_id)))


@interviews_blp.route("/interviews/<int:interview_id>/disposition")
class InterviewDisposition(MethodView):
    @roles("planner")
    @interviews_blp.arguments(DispositionIn)
    @interviews_blp.response(200, InterviewOut)
    def put(self, data, interview_id):
        """Code an AAPOR disposition by hand (e.g. a returned invitation: 4.10)."""
        session = db_session()
        return domain.set_disposition(session, domain.get_interview(session, interview_id),
                                      data["disposition"])
