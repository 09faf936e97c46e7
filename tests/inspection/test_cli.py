"""``kaoping audit verify`` and ``kaoping evidence verify``: exit 0 and a summary when
intact, exit 1 naming what is broken; what their options leave out comes from the
inspection settings (``INSPECTION_DATABASE_URL``, ``INSPECTION_EVIDENCE_DIR``)."""

from __future__ import annotations

from sqlalchemy import text

from services.cli import main as kaoping
from tests.inspection.inspection_support import PNG, stored

OTHER_PNG = PNG + b"other"


def _url(engines):
    return engines["inspection"].url.render_as_string(hide_password=False)


def test_audit_verify_counts_the_entries_of_an_intact_chain(api, engines, capsys):
    api.audited_history()
    assert kaoping(["audit", "verify", "--database-url", _url(engines)]) == 0
    assert "intact: 7 entries" in capsys.readouterr().out


def test_audit_verify_names_the_first_broken_entry(api, engines, capsys):
    api.audited_history()
    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4"))
    assert kaoping(["audit", "verify", "--database-url", _url(engines)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at entry seq=4" in out and "edited" in out


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

    stored(evidence_dir, OTHER_PNG).write_bytes(OTHER_PNG[:-2])
    stored(evidence_dir, PNG + b"gone").unlink()
    assert kaoping(args) == 1
    out = capsys.readouterr().out
    assert f"attachment {changed['id']} (visit {visit_id}, 'photo.png'" in out
    assert "CHANGED" in out and f"attachment {gone['id']}" in out and "MISSING" in out
    assert f"attachment {kept['id']}" not in out
    assert "1 intact, 1 changed, 1 missing" in out and "1 declared and not yet received" in out
    assert out.strip().endswith("evidence DAMAGED")


def test_without_options_both_commands_read_the_inspection_settings(api, engines, evidence_dir,
                                                                    capsys, monkeypatch):
    api.audited_history()  # seven entries, one photo
    monkeypatch.setenv("INSPECTION_DATABASE_URL", _url(engines))
    monkeypatch.setenv("INSPECTION_EVIDENCE_DIR", str(evidence_dir))
    assert kaoping(["audit", "verify"]) == 0
    assert "audit chain intact: 7 entries" in capsys.readouterr().out
    assert kaoping(["evidence", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"evidence in {evidence_dir}: 1 files checked, 1 intact" in out
    assert out.strip().endswith("evidence intact")
