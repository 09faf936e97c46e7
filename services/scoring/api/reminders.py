"""Reminder endpoints: the units' numbers (planner), the reminders sent, and Twilio's
signed webhooks (message status callbacks, replies such as STOP)."""

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.scoring import contacts, reminders
from services.scoring.reporters import readable_unit
from services.scoring.schemas import reminders as schemas
from shared.auth import current_principal, public, roles
from shared.db import db_session
from shared.twilio_signatures import twilio_signed

blp = Blueprint("reminders", __name__, description="Deadline reminders by SMS")


def _vault():
    return current_app.extensions["phone_vault"]


@blp.route("/reminders/contacts")
class Contacts(MethodView):
    @roles("planner")
    @blp.arguments(schemas.ContactQuerySchema, location="query")
    @blp.response(200, schemas.ContactSchema(many=True))
    def get(self, args):
        """The units' reminder numbers (last four digits only)."""
        return contacts.list_contacts(db_session(), args.get("unit"))

    @roles("planner")
    @blp.arguments(schemas.ContactInSchema)
    @blp.response(201, schemas.ContactSchema)
    def post(self, data):
        """Add a number to a unit (stored encrypted)."""
        return contacts.add_contact(db_session(), _vault(), data)


@blp.route("/reminders/contacts/<int:contact_id>")
class ContactById(MethodView):
    @roles("planner")
    @blp.arguments(schemas.OptOutSchema)
    @blp.response(200, schemas.ContactSchema)
    def patch(self, data, contact_id):
        """Set or clear the number's opt-out flag."""
        return contacts.set_opt_out(db_session(), contact_id, data["opted_out"])


@blp.route("/reminders")
class Reminders(MethodView):
    @roles("planner", "analyst", "unit")
    @blp.arguments(schemas.ReminderQuerySchema, location="query")
    @blp.response(200, schemas.ReminderSchema(many=True))
    def get(self, args):
        """Reminders sent, newest first (a unit token: its own)."""
        return reminders.list_reminders(db_session(), readable_unit(current_principal(),
                                                                    args.get("unit")),
                                        args.get("day"))


@blp.route("/reminders/status")
class MessageStatus(MethodView):
    @public
    @twilio_signed
    @blp.response(204)
    def post(self):
        """Twilio's message status callback (queued, sent, delivered, undelivered, failed)."""
        session = db_session()
        if not reminders.record_status(session, request.form):
            reminders.commit_and_apply_held(session)  # held: the sender may be committing
        return Response(status=204)


@blp.route("/reminders/inbound")
class InboundMessage(MethodView):
    @public
    @twilio_signed
    @blp.response(200, schemas.InboundResultSchema)
    def post(self):
        """A reply to a reminder: STOP (or TD, 退订) opts the number out, START back in."""
        return {"changed": contacts.inbound_reply(db_session(), _vault(),
                                                  request.form.get("From", ""),
                                                  request.form.get("Body", ""))}
