"""Forms of the instruction pages: record one (planner), report progress and ask for
an extension (unit), judge and decide (planner)."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from services.portal.forms import REQUIRED


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


class InstructionForm(FlaskForm):
    leader = StringField(_l("Leader"), validators=[DataRequired(REQUIRED), Length(max=100)])
    document_no = StringField(_l("Document number"),
                              validators=[DataRequired(REQUIRED), Length(max=100)])
    issued_on = DateField(_l("Date of the instruction"), validators=[DataRequired(REQUIRED)])
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=300)])
    text = TextAreaField(_l("Text of the instruction"),
                         validators=[DataRequired(REQUIRED), Length(max=4000)])
    deadline = DateField(_l("Deadline"), validators=[DataRequired(REQUIRED)])
    lead_unit = StringField(_l("Lead unit"), validators=[DataRequired(REQUIRED), Length(max=40)])
    assisting = StringField(_l("Assisting units"), validators=[Optional(), Length(max=400)])
    attachments = TextAreaField(_l("Attachments (links, one a line)"),
                                validators=[Optional(), Length(max=4000)])
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def body(self) -> dict:
        units = [{"unit": self.lead_unit.data.strip(), "role": "lead"}]
        units += [{"unit": code, "role": "assisting"} for code in _lines(self.assisting.data)]
        return {"leader": self.leader.data, "document_no": self.document_no.data,
                "issued_on": self.issued_on.data.isoformat(), "title": self.title.data,
                "text": self.text.data, "deadline": self.deadline.data.isoformat(),
                "units": units, "attachments": _lines(self.attachments.data)}


class ReportForm(FlaskForm):
    text = TextAreaField(_l("Progress"), validators=[DataRequired(REQUIRED), Length(max=4000)])
    evidence = TextAreaField(_l("Evidence (links, one a line)"),
                             validators=[Optional(), Length(max=4000)])
    completed = BooleanField(_l("Done: ask the office to verify (lead unit)"))
    key = HiddenField(default=lambda: str(uuid.uuid4()))

    def body(self) -> dict:
        return {"text": self.text.data, "evidence": _lines(self.evidence.data),
                "completed": bool(self.completed.data)}


class ExtensionForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED), Length(max=4000)])
    requested_deadline = DateField(_l("New deadline"), validators=[DataRequired(REQUIRED)])


class JudgementForm(FlaskForm):
    action = SelectField(_l("Decision"), choices=[
        SelectChoice("verify", _l("Verify: the work is done")),
        SelectChoice("return", _l("Return with a reason")), SelectChoice("close", _l("Close"))])
    note = TextAreaField(_l("Reason or note"), validators=[Optional(), Length(max=4000)])


class DecisionForm(FlaskForm):
    approve = SelectField(_l("Decision"), choices=[
        SelectChoice("yes", _l("Approve the new deadline")), SelectChoice("no", _l("Reject"))])
    note = TextAreaField(_l("Reason or note"), validators=[Optional(), Length(max=4000)])
