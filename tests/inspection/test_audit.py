"""The audit log's hash chain: intact after real work, broken by an edited or deleted row
at that row; appends are serialised, so parallel audited reads all succeed. (The
``kaoping audit verify`` command: test_cli.py.)"""

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import text

from tests.inspection.inspection_support import PNG
from tests.support import serving


def test_chain_covers_the_work_and_verifies(api):
    entries = api.audited_history()
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


def test_edited_row_breaks_the_chain_and_verify_names_it(api, engines):
    api.audited_history()
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"))
    report = api.call("GET", "/audit/verify", role="admin")
    assert report["ok"] is False and report["broken_seq"] == 4 and "edited" in report["reason"]


def test_deleted_row_breaks_the_chain_at_the_gap(api, engines):
    api.audited_history()
    with engines["inspection"].begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    report = api.call("GET", "/audit/verify", role="admin")
    assert report["broken_seq"] == 3 and "gap" in report["reason"]


def test_audit_log_is_admin_only(api):
    api.call("GET", "/audit", role="planner", expect=403)


@pytest.mark.commits  # threads on connections of their own
def test_parallel_reads_of_an_unannounced_plan_are_all_audited(api, app, auth):
    """Each read appends a ``plan.read`` entry; appends from parallel requests queue on
    the chain instead of colliding on ``seq`` (which answered 500 on SQLite)."""
    template = api.checklist()
    plan = api.plan(template["id"], targets=[f"U{i}" for i in range(4)])
    headers = auth("planner", sub="alice")
    with serving(app) as url:
        def read(path):
            response = requests.get(f"{url}/api/v1{path}", headers=headers, timeout=60)
            return response.status_code, response.text

        paths = [f"/plans/{plan['id']}", f"/plans/{plan['id']}/visits", "/plans"] * 8
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(read, paths))

    assert [status for status, _ in results] == [200] * len(paths), results
    reads = api.call("GET", "/audit?action=plan.read&limit=1000", role="admin")
    assert len([r for r in reads if r["actor"] == "alice"]) == len(paths)
    assert api.call("GET", "/audit/verify", role="admin")["ok"] is True
