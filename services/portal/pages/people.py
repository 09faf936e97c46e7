"""Admin pages: the people, adding one, changing a role, disabling, enabling, reset codes."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from services.portal import access, passwords, people
from services.portal.api_errors import show_on
from services.portal.clock import now
from services.portal.forms.people import PersonForm, RoleForm
from shared.db import db_session
from shared.errors import Conflict, ValidationFailed

bp = Blueprint("people", __name__, url_prefix="/people")


def _actor() -> people.Actor:
    return people.Actor(g.person.username, access.address())


@bp.route("", methods=["GET", "POST"])
@access.require("admin")
def index():
    form, shown = PersonForm(), None
    if form.validate_on_submit():
        password = form.password.data or passwords.generate()
        try:
            person = people.create_person(
                db_session(), username=form.username.data, display_name=form.display_name.data
                or "", role=form.role.data, unit=form.unit.data, password=password,
                actor=_actor(), now=now())
        except (ValidationFailed, Conflict) as failed:
            show_on(form, failed.errors)
        else:
            shown = {"username": person.username,
                     "password": None if form.password.data else password}
            form = PersonForm(formdata=None)
    return render_template("people/index.html", form=form, shown=shown,
                           people=people.list_people(db_session()))


@bp.get("/<int:person_id>")
@access.require("admin")
def detail(person_id: int):
    person = people.get_person(db_session(), person_id)
    return render_template("people/detail.html", person=person,
                           form=RoleForm(role=person.role, unit=person.unit), code=None)


@bp.post("/<int:person_id>/role")
@access.require("admin")
def change_role(person_id: int):
    person, form = people.get_person(db_session(), person_id), RoleForm()
    if form.validate_on_submit():
        try:
            people.change_role(db_session(), person, form.role.data, form.unit.data, _actor(),
                               now())
        except (ValidationFailed, Conflict) as failed:
            show_on(form, failed.errors)
            return render_template("people/detail.html", person=person, form=form, code=None)
        flash(_l("The role is changed."))
    return redirect(url_for("people.detail", person_id=person_id))


@bp.post("/<int:person_id>/<any(disable, enable):action>")
@access.require("admin")
def toggle(person_id: int, action: str):
    person = people.get_person(db_session(), person_id)
    try:
        getattr(people, action)(db_session(), person, _actor(), now())
    except Conflict:
        flash(_l("The last active admin cannot be disabled."), "error")
    return redirect(url_for("people.detail", person_id=person_id))


@bp.post("/<int:person_id>/reset-code")
@access.require("admin")
def reset_code(person_id: int):
    person = people.get_person(db_session(), person_id)
    code = people.issue_reset_code(db_session(), person, _actor(), now(),
                                   current_app.config["PORTAL_RESET_CODE_HOURS"])
    return render_template("people/detail.html", person=person, code=code,
                           form=RoleForm(role=person.role, unit=person.unit))
