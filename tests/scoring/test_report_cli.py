"""``kaoping report``: the document of a published run written from the command line,
against the scoring app served over HTTP."""

import hashlib

import pytest

from services.cli import main
from tests.support import serving


@pytest.mark.commits
def test_report_writes_the_archived_pdf(runs_client, auth, midyear, tmp_path, capsys):
    out = tmp_path / "midyear.pdf"
    with serving(runs_client.application) as url:
        args = ["report", "midyear", "--period", "2026-H1", "--out", str(out), "--url", url]
        assert main(args) == 1  # the run is not published yet: refused
        assert "not published" in capsys.readouterr().err
        runs_client.post(f"/api/v1/runs/{midyear['id']}/publish", headers=auth("planner"))
        assert main([*args, "--html"]) == 0
        printed = capsys.readouterr().out
        english = tmp_path / "midyear-en.pdf"
        assert main([*args[:-4], "--out", str(english), "--url", url, "--lang", "en"]) == 0
    listed = runs_client.get("/api/v1/documents", headers=auth("planner")).json
    zh = next(d for d in listed if d["lang"] == "zh")
    assert f"document {zh['id']} of run {midyear['id']}" in printed
    assert hashlib.sha256(out.read_bytes()).hexdigest() == zh["pdf_sha256"] in printed
    assert out.with_suffix(".html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert {d["lang"] for d in listed} == {"zh", "en"} and len(listed) == 2
    assert english.read_bytes() != out.read_bytes()
