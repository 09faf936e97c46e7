"""``kaoping user create|disable|enable|reset|list``: people of the portal, from a shell.

For the first admin and for scripts. A new person's password is read from standard input
with ``--password-stdin``, else generated and printed once; ``reset`` prints a one-time
reset code. Each change is an account event with the actor ``cli``.
"""

from __future__ import annotations

import sys

from services.portal import passwords, people
from services.portal.models.person import ROLES
from shared.config import database_url, env_int
from shared.db import make_engine, session_factory, session_scope, utcnow

CLI = people.Actor("cli")


def register(sub) -> None:
    user = sub.add_parser("user", help="people who sign in to the portal")
    user.add_argument("--database-url", default=None,
                      help="portal database (default PORTAL_DATABASE_URL)")
    actions = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="add a person (prints a generated password)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--unit", default=None, help="unit code (role unit)")
    create.add_argument("--name", default="", help="display name (default: the username)")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of generating one")
    create.set_defaults(func=_create)
    for action, text in (("disable", "disable an account and end its sessions"),
                         ("enable", "enable a disabled account"),
                         ("reset", "print a one-time reset code for the person")):
        parser = actions.add_parser(action, help=text)
        parser.add_argument("username")
        parser.set_defaults(func=_change, change=action)
    listing = actions.add_parser("list", help="list the people")
    listing.set_defaults(func=_list)


def _sessions(args):
    engine = make_engine(args.database_url or database_url("portal"))
    return engine, session_scope(session_factory(engine))


def _create(args) -> int:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else passwords.generate()
    engine, scope = _sessions(args)
    try:
        with scope as session:
            person = people.create_person(session, username=args.username,
                                          display_name=args.name, role=args.role,
                                          unit=args.unit, password=password, actor=CLI,
                                          now=utcnow())
            print(f"created {person.username} ({person.role}"
                  + (f", unit {person.unit}" if person.unit else "") + ")")
    finally:
        engine.dispose()
    if not args.password_stdin:
        print(f"password (shown once): {password}")
    return 0


def _change(args) -> int:
    hours = env_int("PORTAL_RESET_CODE_HOURS", 24, minimum=1)
    engine, scope = _sessions(args)
    try:
        with scope as session:
            person = people.get_by_username(session, args.username)
            if args.change == "reset":
                code = people.issue_reset_code(session, person, CLI, utcnow(), hours)
                print(f"reset code for {person.username} (valid {hours} h, shown once): {code}")
            else:
                getattr(people, args.change)(session, person, CLI, utcnow())
                print(f"{person.username}: {'active' if person.active else 'disabled'}")
    finally:
        engine.dispose()
    return 0


def _list(args) -> int:
    engine, scope = _sessions(args)
    try:
        with scope as session:
            for person in people.list_people(session):
                state = "active" if person.active else "disabled"
                print(f"{person.username:<24} {person.role:<10} {person.unit or '-':<10} {state}")
    finally:
        engine.dispose()
    return 0
