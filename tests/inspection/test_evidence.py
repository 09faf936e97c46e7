"""Evidence files: declared, then streamed in (size, SHA-256 and type checked, nothing
kept on a mismatch), stored under their hash, downloaded intact; file names cleaned on
declaration and encoded (RFC 6266) on the way out."""

import hashlib
from urllib.parse import quote

import pytest
from sqlalchemy import text

from tests.inspection.inspection_support import PNG


def test_hash_mismatch_is_422_and_nothing_is_stored(api, evidence_dir):
    visit_id = api.checked_in_visit()
    declared = api.attach(visit_id, PNG, sha256="0" * 64, upload=False)
    response = api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
                        role="inspector", sub="insp-a", data=PNG, expect=422)
    assert "sha256" in response["errors"]
    stored = [p for p in evidence_dir.rglob("*") if p.is_file()] if evidence_dir.exists() else []
    assert stored == []
    visit = api.call("GET", f"/visits/{visit_id}")
    assert visit["attachments"][0]["status"] == "declared"


def test_size_type_and_magic_limits(api, app):
    visit_id = api.checked_in_visit()
    body = {"kind": "photo", "filename": "x.exe", "content_type": "application/x-msdownload",
            "size": 10, "sha256": "a" * 64}
    errors = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector", sub="insp-a",
                      json=body, expect=422)["errors"]
    assert "content_type" in errors
    body.update(content_type="image/png",
                size=app.config["INSPECTION_EVIDENCE_MAX_BYTES"] + 1)
    errors = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector", sub="insp-a",
                      json=body, expect=422)["errors"]
    assert "size" in errors
    not_png = b"GIF89a" + b"\x00" * 50
    declared = api.attach(visit_id, not_png, upload=False)
    errors = api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
                      role="inspector", sub="insp-a", data=not_png, expect=422)["errors"]
    assert "content_type" in errors
    short = api.attach(visit_id, PNG, upload=False)
    errors = api.call("PUT", f"/visits/{visit_id}/attachments/{short['id']}/content",
                      role="inspector", sub="insp-a", data=PNG[:-1], expect=422)["errors"]
    assert "size" in errors


def test_upload_is_stored_under_its_hash_and_downloads_intact(api, evidence_dir):
    visit_id = api.checked_in_visit()
    content = PNG + bytes(range(256)) * 1000
    declared = api.attach(visit_id, content)
    digest = hashlib.sha256(content).hexdigest()
    assert (evidence_dir / digest[:2] / digest).read_bytes() == content
    got = api.call("GET", f"/visits/{visit_id}/attachments/{declared['id']}/content")
    assert got.data == content
    api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
             role="inspector", sub="insp-a", data=content, expect=409)


def test_evidence_may_exceed_the_general_body_limit_but_not_its_own(make_app, registry_url,
                                                                    evidence_dir, auth):
    from tests.inspection.inspection_support import Api

    app = make_app("inspection", SCORING_URL=registry_url, MAX_CONTENT_LENGTH=1024,
                   INSPECTION_EVIDENCE_DIR=str(evidence_dir),
                   INSPECTION_EVIDENCE_MAX_BYTES=8192)
    api = Api(app.test_client(), auth)
    visit_id = api.checked_in_visit()
    api.attach(visit_id, PNG + b"\x00" * 4000)  # 4 KB > the general 1 KB limit
    declared = api.attach(visit_id, PNG + b"\x01" * 4000, upload=False)
    # A body longer than the declared size is cut off and refused, nothing kept.
    api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
             role="inspector", sub="insp-a", data=PNG + b"\x01" * 6000, expect=413)
    assert api.call("GET", f"/visits/{visit_id}")["attachments"][1]["status"] == "declared"


@pytest.mark.parametrize("name, reason", [
    ("photo\r\n.png", "U+000A, U+000D"),
    ("photo\x0b.png", "U+000B"),
    ("gpj.\u202eexe.png", "U+202E"),
    ("../", "no file name"),
    ("C:\\Users\\..", "no file name"),
    ("x" * 256, "255"),
])
def test_file_names_with_control_characters_or_only_folders_are_refused(api, name, reason):
    visit_id = api.checked_in_visit(kind="open")
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
    visit_id = api.checked_in_visit(kind="open")
    body = {"kind": "photo", "filename": name, "content_type": "image/png",
            "size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}
    declared = api.call("POST", f"/visits/{visit_id}/attachments", role="inspector",
                        sub="insp-a", json=body, expect=201)
    assert declared["filename"] == stored
    api.call("PUT", f"/visits/{visit_id}/attachments/{declared['id']}/content",
             role="inspector", sub="insp-a", data=PNG)
    response = api.content(visit_id, declared["id"])
    assert response.headers["Content-Disposition"] == disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_name_stored_before_names_were_checked_still_downloads(api, engines):
    """A CR/LF accepted by the old code made every download of the file fail (500)."""
    visit_id = api.checked_in_visit(kind="open")
    declared = api.attach(visit_id, PNG)
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE attachments SET filename = :name WHERE id = :id"),
                           {"name": "../../a\r\nSet-Cookie: x=1.png", "id": declared["id"]})
    response = api.content(visit_id, declared["id"])
    assert response.data == PNG
    assert response.headers["Content-Disposition"] == \
        'inline; filename="a__Set-Cookie: x=1.png"'
    assert "Set-Cookie" not in response.headers
