"""Signing in and out, a password reset with a one-time code, a password change."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from services.portal import access, account_events, people, signin, web_sessions
from services.portal.api_errors import show_on
from services.portal.clock import now
from services.portal.forms.passwords import ChangePasswordForm, ResetPasswordForm
from services.portal.forms.signin import SignInForm
from shared.db import db_session
from shared.errors import ValidationFailed

bp = Blueprint("auth", __name__)


def _policy() -> signin.LockoutPolicy:
    config = current_app.config
    return signin.LockoutPolicy(config["PORTAL_LOCKOUT_FAILURES"],
                                config["PORTAL_LOCKOUT_MINUTES"],
                                config["PORTAL_ADDRESS_FAILURES"])


def refusal(refused: signin.SignInRefused):
    """What the sign-in page says for a refusal (never whether the username exists)."""
    until = format_datetime(refused.until, "HH:mm") if refused.until else ""
    return {"credentials": _l("Wrong username or password."),
            "locked": _l("Too many failed sign-ins: this account is locked until %(time)s.",
                         time=until),
            "address": _l("Too many failed sign-ins from your address: try again after "
                          "%(time)s.", time=until),
            "disabled": _l("This account is disabled; ask an administrator.")}[refused.reason]


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form, problem = SignInForm(), None
    if form.validate_on_submit():
        try:
            person = signin.sign_in(db_session(), form.username.data, form.password.data,
                                    access.address(), now(), _policy())
        except signin.SignInRefused as refused:
            problem = refusal(refused)
        else:
            access.start(person)
            return redirect(access.safe_next(request.args.get("next")))
    ended = session.pop("ended", False) and not form.is_submitted()
    return render_template("auth/sign_in.html", form=form, problem=problem, ended=ended)


@bp.post("/sign-out")
def sign_out():
    if g.person is not None:
        account_events.record(db_session(), "sign_out", now(), actor=g.person.username,
                              subject=g.person.username, address=access.address())
    access.end()
    flash(_l("You have signed out."))
    return redirect(url_for("auth.sign_in"))


@bp.post("/sign-out-everywhere")
@access.require()
def sign_out_everywhere():
    person = g.person
    ended = web_sessions.close_all(db_session(), person)
    account_events.record(db_session(), "sign_out.everywhere", now(), actor=person.username,
                          subject=person.username, address=access.address(),
                          sessions_ended=ended)
    access.end()
    flash(_l("You have signed out on every device."))
    return redirect(url_for("auth.sign_in"))


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    form = ResetPasswordForm()
    return _set_password(form, lambda: people.redeem_reset_code(
        db_session(), form.username.data, form.code.data, form.password.data,
        access.address(), now()),
        _l("Your password is set. Sign in with it."), "auth.sign_in", "auth/reset.html")


@bp.route("/password", methods=["GET", "POST"])
@access.require()
def change_password():
    form = ChangePasswordForm()
    return _set_password(form, lambda: people.change_password(
        db_session(), g.person, form.current.data, form.password.data, access.address(),
        now()),
        _l("Your password is changed."), "home.index", "auth/password.html")


def _set_password(form, change, done, then: str, template: str):
    """A posted valid ``form``: ``change()``, then ``done`` flashed on the way to the page
    ``then``; the password rules it broke shown on the form otherwise."""
    if form.validate_on_submit():
        try:
            change()
        except ValidationFailed as failed:
            show_on(form, failed.errors)
        else:
            flash(done)
            return redirect(url_for(then))
    return render_template(template, form=form)
