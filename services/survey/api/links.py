"""One-time web links (shown once; only their hashes are kept) and, for planners only,
the contact identity of the sample members they invite."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.survey import links as domain
from services.survey.schemas.links import ContactOut, LinksIn, LinksOut
from shared.auth import roles
from shared.db import db_session

blp = Blueprint("links", __name__, description="One-time respondent web links and contacts")


@blp.route("/polls/<int:poll_id>/links")
class PollLinks(MethodView):
    @roles("planner")
    @blp.arguments(LinksIn)
    @blp.response(201, LinksOut)
    def post(self, data, poll_id):
        """Issue one-time web links (shown once; only their hashes are kept).

        They expire at the end of the poll's field period (county time), or
        ``expires_in_days`` after issue when given."""
        return domain.issue_links(db_session(), poll_id, data,
                                  current_app.config["PUBLIC_BASE_URL"])


@blp.route("/polls/<int:poll_id>/contacts")
class PollContacts(MethodView):
    @roles("planner")
    @blp.response(200, ContactOut(many=True))
    def get(self, poll_id):
        """Contact identity of sample members (planners only; analysts never see it)."""
        return domain.poll_contacts(db_session(), poll_id)
