"""One template set to HTML and PDF: escaped, deterministic bytes, no dates."""

from services.scoring import document_render
from services.scoring.document_texts import texts


def _context(name):
    t = texts("zh")
    return {"kind": "notice", "lang": "zh", "t": t, "period": "2026-06",
            "title": t["notice"].format(period="2026-06"), "basis": "依据", "published_at": "",
            "run_hash": "", "footer": "f", "has_previous": False, "previous_period": None,
            "groups": [{"code": "G01", "size": 1, "cutoff": "—", "cutoff_label": "",
                        "any_marked": False, "chart": "<svg></svg>",
                        "rows": [{"rank": 1, "unit": "D001", "name": name, "composite": "60.00",
                                  "interval": "[58.00, 62.00]", "rank_interval": "1–1",
                                  "rank_change": "—", "composite_change": "—",
                                  "p_advanced": "—", "advanced": False, "marked": False}]}]}


def test_html_escapes_and_pdf_is_deterministic():
    context = _context("县<b>办</b>")
    html = document_render.html("notice", context)
    assert "县&lt;b&gt;办&lt;/b&gt;" in html and "<b>办" not in html
    first, second = document_render.render("notice", context), document_render.render(
        "notice", context)
    assert first.pdf == second.pdf and first.sha256 == second.sha256 and first.pages == 1
    assert first.pdf.startswith(b"%PDF") and b"/CreationDate" not in first.pdf
    assert b"/ModDate" not in first.pdf
