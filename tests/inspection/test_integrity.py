"""Evidence at rest: a stored file that was changed, truncated or deleted is refused
(409/410) and audited, and ``kaoping evidence verify`` finds it, or a row edited to match."""

import hashlib

import pytest
from sqlalchemy import text

from services.cli import main as kaoping
from tests.inspection.inspection_support import PNG

OTHER_PNG = PNG + b"other"


def _stored(evidence_dir, content):
    digest = hashlib.sha256(content).hexdigest()
    return evidence_dir / digest[:2] / digest


def _url(engines):
    return engines["inspection"].url.render_as_string(hide_password=False)


@pytest.mark.parametrize("damage, status, problem", [
    (lambda path: path.write_bytes(PNG[:-1] + b"\x01"), 409, "changed"),
    (lambda path: path.write_bytes(PNG[:50]), 409, "changed"),
    (lambda path: path.unlink(), 410, "missing"),
], ids=["changed", "truncated", "deleted"])
def test_damaged_file_is_refused_and_the_refusal_is_audited(api, evidence_dir, damage, status,
                                                            problem):
    visit_id = api.checked_in_visit(kind="open")
    declared = api.attach(visit_id, PNG)
    intact = api.content(visit_id, declared["id"])
    assert intact.data == PNG and intact.headers["ETag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    damage(_stored(evidence_dir, PNG))

    body = api.content(visit_id, declared["id"], expect=status, role="inspector", sub="insp-a")
    assert body["code"] == status and "audit log" in body["message"]
    entries = api.call("GET", "/audit?action=evidence.damaged", role="admin")
    assert [(e["subject_id"], e["actor"], e["details"]["problem"]) for e in entries] == [
        (str(declared["id"]), "insp-a", problem)]
    assert entries[0]["details"]["expected_sha256"] == hashlib.sha256(PNG).hexdigest()
    assert api.call("GET", "/audit/verify", role="admin")["ok"] is True


def test_order_evidence_is_checked_too(api, evidence_dir):
    visit_id = api.checked_in_visit(kind="open")
    api.attach(visit_id, PNG)
    result = api.submit(visit_id, findings=[{"severity": "major", "description": "x"}])
    order = api.call("POST", "/orders", expect=201, json={
        "finding_id": result["version"]["findings"][0]["id"], "deadline": "2099-01-01",
        "instructions": "fix"})
    body = {"kind": "photo", "filename": "fix.png", "content_type": "image/png",
            "size": len(OTHER_PNG), "sha256": hashlib.sha256(OTHER_PNG).hexdigest()}
    declared = api.call("POST", f"/orders/{order['id']}/attachments", role="unit", unit="T01",
                        json=body, expect=201)
    path = f"/orders/{order['id']}/attachments/{declared['id']}/content"
    api.call("PUT", path, role="unit", unit="T01", data=OTHER_PNG)
    _stored(evidence_dir, OTHER_PNG).write_bytes(PNG)
    api.call("GET", path, role="unit", unit="T01", expect=409)


def test_evidence_verify_names_every_damaged_file(api, engines, evidence_dir, capsys):
    visit_id = api.checked_in_visit(kind="open")
    kept = api.attach(visit_id, PNG)
    changed = api.attach(visit_id, OTHER_PNG)
    gone = api.attach(visit_id, PNG + b"gone")
    api.attach(visit_id, PNG + b"later", upload=False)
    args = ["evidence", "verify", "--database-url", _url(engines),
            "--evidence-dir", str(evidence_dir)]
    assert kaoping(args) == 0
    assert "3 files checked, 3 intact" in capsys.readouterr().out

    _stored(evidence_dir, OTHER_PNG).write_bytes(OTHER_PNG[:-2])
    _stored(evidence_dir, PNG + b"gone").unlink()
    assert kaoping(args) == 1
    out = capsys.readouterr().out
    assert f"attachment {changed['id']} (visit {visit_id}, 'photo.png'" in out
    assert "CHANGED" in out and f"attachment {gone['id']}" in out and "MISSING" in out
    assert f"attachment {kept['id']}" not in out
    assert "1 intact, 1 changed, 1 missing" in out and "1 declared and not yet received" in out
    assert out.strip().endswith("evidence DAMAGED")


def test_evidence_verify_catches_a_row_edited_to_match_an_altered_file(api, engines,
                                                                       evidence_dir, capsys):
    """Changing the file and its row alike is still seen: the upload's audit entry keeps
    the SHA-256 the file arrived with."""
    visit_id = api.checked_in_visit(kind="open")
    declared = api.attach(visit_id, PNG)
    forged = PNG + b"forged"
    _stored(evidence_dir, PNG).write_bytes(forged)
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE attachments SET sha256 = :sha, size = :size "
                                "WHERE id = :id"), {"sha": hashlib.sha256(forged).hexdigest(),
                                                    "size": len(forged), "id": declared["id"]})
    assert kaoping(["evidence", "verify", "--database-url", _url(engines),
                    "--evidence-dir", str(evidence_dir)]) == 1
    out = capsys.readouterr().out
    assert "the audit log of its upload" in out and hashlib.sha256(PNG).hexdigest() in out
