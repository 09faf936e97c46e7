"""Evidence at rest and evidence names: a stored file that was changed, truncated or
deleted is refused (409/410) and audited, ``kaoping evidence verify`` finds it, and file
names are cleaned on declaration and encoded (RFC 6266) on the way out."""

import hashlib
from urllib.parse import quote

import pytest
from sqlalchemy import text

from services.cli import main as kaoping
from tests.inspection.inspection_support import PNG

OTHER_PNG = PNG + b"other"


def _visit(api):
    template = api.checklist()
    plan = api.plan(template["id"], kind="open")
    visit = api.visits(plan["id"])[0]
    api.check_in(visit["id"])
    return visit["id"]


def _stored(evidence_dir, content):
    digest = hashlib.sha256(content).hexdigest()
    return evidence_dir / digest[:2] / digest


def _content(api, visit_id, attachment_id, expect=200, **who):
    who = who or {"role": "planner"}
    return api.call("GET", f"/visits/{visit_id}/attachments/{attachment_id}/content",
                    expect=expect, **who)


def _url(engines):
    return engines["inspection"].url.render_as_string(hide_password=False)


@pytest.mark.parametrize("damage, status, problem", [
    (lambda path: path.write_bytes(PNG[:-1] + b"\x01"), 409, "changed"),
    (lambda path: path.write_bytes(PNG[:50]), 409, "changed"),
    (lambda path: path.unlink(), 410, "missing"),
], ids=["changed", "truncated", "deleted"])
def test_damaged_file_is_refused_and_the_refusal_is_audited(api, evidence_dir, damage, status,
                                                            problem):
    visit_id = _visit(api)
    declared = api.attach(visit_id, PNG)
    intact = _content(api, visit_id, declared["id"])
    assert intact.data == PNG and intact.headers["ETag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    damage(_stored(evidence_dir, PNG))

    body = _content(api, visit_id, declared["id"], expect=status, role="inspector", sub="insp-a")
    assert body["code"] == status and "audit log" in body["message"]
    entries = api.call("GET", "/audit?action=evidence.damaged", role="admin")
    assert [(e["subject_id"], e["actor"], e["details"]["problem"]) for e in entries] == [
        (str(declared["id"]), "insp-a", problem)]
    assert entries[0]["details"]["expected_sha256"] == hashlib.sha256(PNG).hexdigest()
    assert api.call("GET", "/audit/verify", role="admin")["ok"] is True


def test_order_evidence_is_checked_too(api, evidence_dir):
    visit_id = _visit(api)
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
    visit_id = _visit(api)
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
    visit_id = _visit(api)
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


@pytest.mark.parametrize("name, reason", [
    ("photo\r\n.png", "U+000A, U+000D"),
    ("photo\x0b.png", "U+000B"),
    ("gpj.\u202eexe.png", "U+202E"),
    ("../", "no file name"),
    ("C:\\Users\\..", "no file name"),
    ("x" * 256, "255"),
])
def test_file_names_with_control_characters_or_only_folders_are_refused(api, name, reason):
    visit_id = _visit(api)
    body = {"kind": "photo", "filename": name, "content_type": "image/png",
            "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}
    errors = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector", sub="insp-a",
                      json=body, expect=422)["errors"]
    assert reason in str(errors) and "filename" in str(errors)


@pytest.mark.parametrize("name, stored, disposition", [
    ("../../etc/passwd", "passwd", "inline; filename=passwd"),
    ("C:\\Users\\insp\\现场 照片.png", "现场 照片.png",
     "inline; filename=\" .png\"; filename*=UTF-8''" + quote("现场 照片.png", safe="")),
    ('  fire exit; "north".png ', 'fire exit; "north".png',
     'inline; filename="fire exit; \\"north\\".png"'),
])
def test_file_names_lose_their_folders_and_go_out_encoded(api, name, stored, disposition):
    visit_id = _visit(api)
    body = {"kind": "photo", "filename": name, "content_type": "image/png",
            "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}
    declared = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector",
                        sub="insp-a", json=body, expect=201)
    assert declared["filename"] == stored
    api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
             role="inspector", sub="insp-a", data=PNG)
    response = _content(api, visit_id, declared["id"])
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_name_stored_before_names_were_checked_still_downloads(api, engines):
    """A CR/LF accepted by the old code made every download of the file fail (500)."""
    visit_id = _visit(api)
    declared = api.attach(visit_id, PNG)
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE attachments SET filename = :name WHERE id = :id"),
                           {"name": "../../a\r\nSet-Cookie: x=1.png", "id": declared["id"]})
    response = _content(api, visit_id, declared["id"])
    assert response.data == PNG
    assert response.headers["Content-Disposition"] == \
        'inline; filename="a__Set-Cookie: x=1.png"'
    assert "Set-Cookie" not in response.headers
