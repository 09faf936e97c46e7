"""Documents from published runs (services/scoring/documents.py and its views): made from
published runs only, every printed number read back from the PDF and compared with the
API's figure, Chinese text extracted as Chinese, stored immutably, verified, withdrawn
and replaced."""

from __future__ import annotations

import hashlib

import pytest

from services.scoring.models.documents import Document
from tests.scoring.document_support import (
    fmt,
    pct,
    pdf_fonts,
    pdf_text,
    ranking_line,
    rows_of,
    signed,
)
from tests.scoring.run_support import start_run


def _publish(client, auth, run_id):
    response = client.post(f"/api/v1/runs/{run_id}/publish", headers=auth("planner"))
    assert response.status_code == 200, response.json


def _make(client, auth, **body):
    return client.post("/api/v1/documents", json=body, headers=auth("planner"))


@pytest.fixture
def quarterly(runs_client, auth, county):
    """A published quarterly 2026-Q2 run (with both polls), after a published Q1 run."""
    ids = []
    for period in ("2026-Q1", "2026-Q2"):
        response = start_run(runs_client, auth, county, kind="quarterly", period=period)
        assert response.status_code == 201, response.json
        _publish(runs_client, auth, response.json["id"])
        ids.append(response.json["id"])
    return ids[-1]


def test_only_a_published_run_makes_a_document(runs_client, auth, midyear):
    refused = _make(runs_client, auth, kind="midyear", run_id=midyear["id"])
    assert refused.status_code == 409
    assert refused.json["errors"] == {"run_id": ["not published"]}
    by_period = _make(runs_client, auth, kind="midyear", period="2026-H1")
    assert by_period.status_code == 409 and "period" in by_period.json["errors"]
    assert "not published" in by_period.json["message"]
    wrong_kind = _make(runs_client, auth, kind="bulletin", run_id=midyear["id"])
    assert wrong_kind.status_code == 422 and "run_id" in wrong_kind.json["errors"]
    bad_period = _make(runs_client, auth, kind="bulletin", period="2026-H1")
    assert bad_period.status_code == 422 and "period" in bad_period.json["errors"]
    missing = _make(runs_client, auth, kind="notice")
    assert missing.status_code == 422
    assert runs_client.get("/api/v1/documents", headers=auth("analyst")).json == []
    assert _make(runs_client, auth, kind="midyear", run_id=999).status_code == 404
    assert runs_client.post("/api/v1/documents", json={"kind": "midyear", "period": "2026-H1"},
                            headers=auth("analyst")).status_code == 403


def test_bulletin_prints_the_apis_figures(runs_client, auth, quarterly, sources):
    made = _make(runs_client, auth, kind="bulletin", period="2026-Q2")
    assert made.status_code == 201, made.json
    doc = made.json
    assert doc["run_id"] == quarterly and doc["state"] == "current"
    pdf = runs_client.get(f"/api/v1/documents/{doc['id']}/pdf", headers=auth("analyst"))
    assert pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == doc["pdf_sha256"] == \
        pdf.headers["X-Document-SHA256"]
    text = pdf_text(pdf.data)
    # Chinese extracts as Chinese; every font is embedded, subset, with a Unicode map
    assert "2026-Q2 季度考评通报" in text and "群众满意度调查" in text and "县考评办公室" in text
    assert all(f["emb"] == "yes" and f["uni"] == "yes" for f in pdf_fonts(pdf.data))
    ranking = runs_client.get(f"/api/v1/runs/{quarterly}/ranking", headers=auth("analyst")).json
    assert len(ranking) > 20
    for row in ranking:  # rank, composite, interval, rank and composite change (vs Q1)
        line = ranking_line(text, row["unit"], fmt(row["composite"]))
        assert line.split()[0] == str(row["rank"]), line
        assert f"[{fmt(row['composite_lo'])}, {fmt(row['composite_hi'])}]" in line
        assert row["rank_change"] is not None
        assert signed(row["rank_change"]) in line and signed(row["composite_change"]) in line
    record = runs_client.get(f"/api/v1/documents/{doc['id']}/sources",
                             headers=auth("analyst")).json
    poll = record["polls"][0]
    for est in poll["satisfaction"]:
        assert any(pct(est["estimate"]) in line
                   and f"[{pct(est['ci_low'])}, {pct(est['ci_high'])}]" in line
                   for line in rows_of(text, est["township"])), est
    for rates in poll["rates"][:-1]:
        line = [ln for ln in rows_of(text, rates["township"]) if "RR" not in ln
                and pct(rates["rates"]["RR1"]) in ln][0]
        assert pct(rates["rates"]["RR3"]) in line and pct(rates["rates"]["REF1"]) in line
    assert "34.5" in text  # the overall RR1
    overdue = record["inspection"]["overdue"]
    assert len(overdue) == 3
    for order in overdue:
        line = [ln for ln in rows_of(text, order["unit"]) if order["deadline"] in ln][0]
        assert line.split()[0] == str(order["id"]) and line.split()[-1] == \
            str(order["days_overdue"])
    findings = record["inspection"]["findings"]
    total = sum(r["findings"] for r in findings)
    assert any("合计" in ln and ln.split()[-1] == str(total) for ln in text.splitlines())
    assert record["status"]["inspection"] == {"status": "ok"}
    # what was read is what the document record keeps; the stubs were asked as "service"
    assert sources[2].roles == {"service"}


def test_midyear_report_awards_method_and_verify(runs_client, auth, midyear):
    _publish(runs_client, auth, midyear["id"])
    doc = _make(runs_client, auth, kind="midyear", period="2026-H1").json
    text = pdf_text(runs_client.get(f"/api/v1/documents/{doc['id']}/pdf",
                                    headers=auth("planner")).data)
    assert "年中考评报告" in text and "平时考评 × 0.7" in text and "注重平时" in text
    ranking = runs_client.get(f"/api/v1/runs/{midyear['id']}/ranking",
                              headers=auth("analyst")).json
    for row in ranking:
        line = ranking_line(text, row["unit"], fmt(row["composite"]))
        assert fmt(row["p_advanced"]) in line
        assert ("★" in line) == bool(row["advanced"]), line
    run = runs_client.get(f"/api/v1/runs/{midyear['id']}", headers=auth("analyst")).json
    flat = text.replace("\n", " ")
    assert run["inputs_sha256"] in flat and run["results_sha256"] in flat
    assert f"{run['seed']}" in text and "附录" in text
    # the same request again gives the current document, not a second copy
    again = _make(runs_client, auth, kind="midyear", period="2026-H1")
    assert again.status_code == 201 and again.json["id"] == doc["id"]
    check = runs_client.post(f"/api/v1/documents/{doc['id']}/verify", headers=auth("analyst"))
    assert check.json["reproduced"] is True and check.json["run_hashes_match"] is True
    english = _make(runs_client, auth, kind="midyear", period="2026-H1", lang="en").json
    text_en = pdf_text(runs_client.get(f"/api/v1/documents/{english['id']}/pdf",
                                       headers=auth("planner")).data)
    assert "Mid-year assessment report, 2026-H1" in text_en and "Appendix" in text_en


def test_withdraw_and_replace_keep_both_listed(runs_client, auth, midyear, databases):
    _publish(runs_client, auth, midyear["id"])
    first = _make(runs_client, auth, kind="midyear", period="2026-H1").json
    no_reason = _make(runs_client, auth, kind="midyear", period="2026-H1", replaces=first["id"])
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    second = _make(runs_client, auth, kind="midyear", period="2026-H1", replaces=first["id"],
                   reason="名称更正")
    assert second.status_code == 201 and second.json["replaces_id"] == first["id"]
    listed = runs_client.get("/api/v1/documents", headers=auth("analyst")).json
    old = next(d for d in listed if d["id"] == first["id"])
    assert old["state"] == "withdrawn" and old["withdrawn_reason"] == "名称更正"
    assert old["replaced_by_id"] == second.json["id"]
    assert runs_client.post(f"/api/v1/documents/{first['id']}/withdraw", json={"reason": "x"},
                            headers=auth("planner")).status_code == 409
    gone = runs_client.post(f"/api/v1/documents/{second.json['id']}/withdraw",
                            json={"reason": "撤回"}, headers=auth("planner"))
    assert gone.status_code == 200 and gone.json["state"] == "withdrawn"
    assert runs_client.post(f"/api/v1/documents/{first['id']}/withdraw", json={},
                            headers=auth("planner")).status_code == 422
    assert len(runs_client.get("/api/v1/documents?state=withdrawn",
                               headers=auth("analyst")).json) == 2
    with databases.sessions("scoring")() as session:
        stored = session.get(Document, first["id"])
        stored.pdf = b"%PDF-tampered"
        with pytest.raises(ValueError, match="immutable"):
            session.flush()
        session.rollback()
        with pytest.raises(ValueError, match="archived"):
            session.delete(session.get(Document, first["id"]))
            session.flush()


def test_report_prints_the_sensitivity_table_of_a_run_that_has_one(runs_client, auth, county):
    run = start_run(runs_client, auth, county, sensitivity=True).json
    _publish(runs_client, auth, run["id"])
    doc = _make(runs_client, auth, kind="midyear", run_id=run["id"], lang="en").json
    text = pdf_text(runs_client.get(f"/api/v1/documents/{doc['id']}/pdf",
                                    headers=auth("planner")).data)
    report = runs_client.get(f"/api/v1/runs/{run['id']}/sensitivity",
                             headers=auth("analyst")).json
    assert "Sensitivity" in text
    for name, variant in report["variants"].items():
        line = [ln for ln in text.splitlines() if ln.strip().startswith(name)][0]
        if "skipped" in variant:  # no numbers; the reason beside them (wrapped)
            assert line.split()[1:3] == ["—", "—"] and "not applicable" in text
        else:
            assert f"{variant['mean_abs_shift']:.2f}" in line
            assert line.split()[2] == str(variant["max_abs_shift"])
