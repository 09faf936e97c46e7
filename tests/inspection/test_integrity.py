"""Evidence at rest: a stored file that was changed, truncated or deleted is refused
(409/410) and audited, and ``verify_evidence`` finds a row edited to match an altered
file. (The ``kaoping evidence verify`` command: test_cli.py.)"""

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.inspection.evidence import FilesystemStore
from services.inspection.integrity import verify_evidence
from tests.inspection.inspection_support import PNG, stored

OTHER_PNG = PNG + b"other"


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
    damage(stored(evidence_dir, PNG))

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
    stored(evidence_dir, OTHER_PNG).write_bytes(PNG)
    api.call("GET", path, role="unit", unit="T01", expect=409)


def test_verify_evidence_catches_a_row_edited_to_match_an_altered_file(api, engines,
                                                                       evidence_dir):
    """Changing the file and its row alike is still seen: the upload's audit entry keeps
    the SHA-256 the file arrived with."""
    visit_id = api.checked_in_visit(kind="open")
    declared = api.attach(visit_id, PNG)
    forged = PNG + b"forged"
    stored(evidence_dir, PNG).write_bytes(forged)
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE attachments SET sha256 = :sha, size = :size "
                                "WHERE id = :id"), {"sha": hashlib.sha256(forged).hexdigest(),
                                                    "size": len(forged), "id": declared["id"]})
    with Session(engines["inspection"]) as session:
        report = verify_evidence(session, FilesystemStore(evidence_dir))
    assert not report.ok and (report.checked, report.intact, report.differs_from_audit) == (1, 1, 1)
    [problem] = report.problems
    assert "the audit log of its upload" in problem and hashlib.sha256(PNG).hexdigest() in problem
