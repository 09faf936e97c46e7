"""``kaoping user create|disable|enable|reset|list`` on the portal's database."""

import io

from sqlalchemy import select

from services.cli import main
from services.portal import passwords
from services.portal.models.account_event import AccountEvent
from services.portal.models.person import Person


def run(engines, capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    url = engines["portal"].url.render_as_string(hide_password=False)
    status = main(["user", "--database-url", url, *argv])
    return status, capsys.readouterr()


def test_create_prints_a_generated_password_once(engines, capsys, db):
    status, out = run(engines, capsys, "create", "Boss", "--role", "admin", "--name", "老王")
    assert status == 0
    password = out.out.split("password (shown once): ")[1].strip()
    person = db.scalar(select(Person))
    assert (person.username, person.role, person.display_name) == ("boss", "admin", "老王")
    assert passwords.verify(person.password_hash, password)
    event = db.scalar(select(AccountEvent))
    assert (event.kind, event.actor, event.subject) == ("person.created", "cli", "boss")


def test_create_reads_a_password_from_stdin_and_checks_it(engines, capsys, db, monkeypatch):
    status, out = run(engines, capsys, "create", "ming", "--role", "unit", "--unit", "T01",
                      "--password-stdin", stdin="Lantern-harbour-42\n", monkeypatch=monkeypatch)
    assert status == 0 and "password" not in out.out.split(")", 1)[1]
    assert passwords.verify(db.scalar(select(Person)).password_hash, "Lantern-harbour-42")
    status, out = run(engines, capsys, "create", "hong", "--role", "planner",
                      "--password-stdin", stdin="password123\n", monkeypatch=monkeypatch)
    assert status == 1 and "too common" in out.err


def test_a_unit_person_needs_a_unit(engines, capsys):
    status, out = run(engines, capsys, "create", "ming", "--role", "unit")
    assert status == 1 and "unit" in out.err


def test_disable_enable_reset_and_list(engines, capsys, db):
    run(engines, capsys, "create", "ming", "--role", "planner")
    assert run(engines, capsys, "disable", "ming")[1].out.strip() == "ming: disabled"
    assert "ming" in run(engines, capsys, "list")[1].out
    assert run(engines, capsys, "enable", "ming")[1].out.strip() == "ming: active"
    status, out = run(engines, capsys, "reset", "ming")
    assert status == 0 and "reset code for ming" in out.out
    kinds = db.scalars(select(AccountEvent.kind).order_by(AccountEvent.id)).all()
    assert kinds == ["person.created", "person.disabled", "person.enabled",
                     "person.reset_code_issued"]
    assert run(engines, capsys, "disable", "nobody")[0] == 1
