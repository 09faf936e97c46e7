"""The audit log's hash chain: intact after real work, broken by an edited row, and the
``kaoping audit verify`` command names the first broken entry."""

import hashlib

from sqlalchemy import text

from services.cli import main as kaoping
from tests.inspection.inspection_support import PNG


def _some_history(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    visit = api.visits(plan["id"])[0]
    api.call("GET", f"/plans/{plan['id']}")
    api.check_in(visit["id"])
    api.attach(visit["id"], PNG)
    api.submit(visit["id"])
    api.call("POST", f"/visits/{visit['id']}/review", json={"decision": "approve"})
    return api.call("GET", "/audit", role="admin")


def _url(engines):
    return engines["inspection"].url.render_as_string(hide_password=False)


def test_chain_covers_the_work_and_verifies(api, engines, capsys):
    entries = _some_history(api)
    actions = [e["action"] for e in entries]
    assert actions == ["plan.create", "plan.read", "plan.read", "visit.checkin",
                       "evidence.received", "visit.submit", "visit.review"]
    upload = entries[4]
    assert upload["subject_type"] == "attachment"
    assert upload["details"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert upload["details"]["size"] == len(PNG)
    assert entries[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(entries, entries[1:], strict=False))
    assert api.call("GET", "/audit/verify", role="admin")["ok"] is True
    assert kaoping(["audit", "verify", "--database-url", _url(engines)]) == 0
    assert "intact: 7 entries" in capsys.readouterr().out


def test_edited_row_breaks_the_chain_and_verify_names_it(api, engines, capsys):
    _some_history(api)
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"))
    report = api.call("GET", "/audit/verify", role="admin")
    assert report["ok"] is False and report["broken_seq"] == 4
    assert kaoping(["audit", "verify", "--database-url", _url(engines)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at entry seq=4" in out and "edited" in out


def test_deleted_row_breaks_the_chain_at_the_gap(api, engines):
    _some_history(api)
    with engines["inspection"].begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    report = api.call("GET", "/audit/verify", role="admin")
    assert report["broken_seq"] == 3 and "gap" in report["reason"]


def test_audit_log_is_admin_only(api):
    api.call("GET", "/audit", role="planner", expect=403)
