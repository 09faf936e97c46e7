"""What a bulletin reads beyond its run: a source that is down fails the document with
503 naming it, or with ``missing_source: skip`` is recorded and the section says so."""

from tests.scoring.document_support import pdf_text
from tests.scoring.run_support import start_run


def test_a_source_down_fails_or_is_recorded_as_skipped(runs_client, auth, county, sources):
    run = start_run(runs_client, auth, county, kind="quarterly", period="2026-Q2").json
    runs_client.post(f"/api/v1/runs/{run['id']}/publish", headers=auth("planner"))
    sources[2].inspection_down = True
    body = {"kind": "bulletin", "period": "2026-Q2"}
    down = runs_client.post("/api/v1/documents", json=body, headers=auth("planner"))
    assert down.status_code == 503 and down.json["errors"] == {"service": ["inspection"]}
    made = runs_client.post("/api/v1/documents", json={**body, "missing_source": "skip"},
                            headers=auth("planner"))
    assert made.status_code == 201, made.json
    record = runs_client.get(f"/api/v1/documents/{made.json['id']}/sources",
                             headers=auth("planner")).json
    assert record["inspection"] is None
    assert record["status"]["inspection"]["status"] == "skipped"
    assert record["status"]["survey"] == {"status": "ok", "polls": [1, 2]}
    assert record["self_checks"]["completeness"]["period"] == "2026-Q2"
    text = pdf_text(runs_client.get(f"/api/v1/documents/{made.json['id']}/pdf",
                                    headers=auth("planner")).data)
    assert "数据未取得" in text
