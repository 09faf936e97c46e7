"""The documents step: the Q2 bulletin and the mid-year report of the demo county (118
units) as PDF in the output folder, against the real survey, inspection and scoring
apps served over HTTP."""

import re

from services.demo import assessment, documents
from services.demo.county import FlaskClientLoader, generate, load_through_api
from tests.scoring.document_support import pdf_text
from tests.support import serving


def test_bulletin_and_midyear_report_are_written(make_app, auth, demo_context, tmp_path,
                                                 capsys):
    with serving(make_app("survey")) as survey_url, \
            serving(make_app("inspection")) as inspection_url:
        scoring = make_app("scoring", SURVEY_URL=survey_url, INSPECTION_URL=inspection_url)
        loaded = load_through_api(generate(2026), FlaskClientLoader(scoring.test_client(),
                                                                    auth("planner")))
        with serving(scoring) as scoring_url:
            ctx = demo_context(scoring=scoring_url)
            ctx.state.update(scheme_version_id=loaded["scheme_version_id"], period="2026-H1")
            assessment.run(ctx)
            documents.run(ctx)
    out = capsys.readouterr().out
    assert "2026-Q2 季度考评通报: document" in out and "2026-H1 年中考评报告: document" in out
    assert out.count("renders again to the same bytes: True") == 2
    for name in ("bulletin_2026-Q2.pdf", "midyear_2026-H1.pdf"):
        path = tmp_path / name
        assert f"    {path}" in out
        text = pdf_text(path.read_bytes())
        ranked = re.findall(r"^\s*\d+\s+([DT]\d{2,3})\s.*\[-?\d+\.\d\d, -?\d+\.\d\d\]", text,
                            re.MULTILINE)
        assert len(set(ranked)) == 118  # every unit's ranking row
    bulletin = pdf_text((tmp_path / "bulletin_2026-Q2.pdf").read_bytes())
    assert "明察暗访" in bulletin and "自查填报" in bulletin and "重点任务节点" in bulletin


def test_without_a_midyear_run_there_is_no_document(demo_context, capsys):
    documents.run(demo_context())
    assert "no document to make" in capsys.readouterr().out
