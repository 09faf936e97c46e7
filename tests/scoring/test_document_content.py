"""What a document says (pure): formats, the cut-off and the marks, trends."""

from services.scoring.document_content import _trend, cutoff, num, pct, signed
from services.scoring.document_texts import texts


def _row(unit, rank, composite, lo, hi, advanced=None, segments=None):
    return {"unit": unit, "rank": rank, "composite": composite, "composite_lo": lo,
            "composite_hi": hi, "advanced": advanced, "segments": segments or {}}


def test_formats():
    assert num(63.515754) == "63.52" and num(None) == "—" and num(0.1234, 3) == "0.123"
    assert signed(2) == "+2" and signed(-1) == "-1" and signed(0.5) == "+0.50"
    assert pct(0.3456) == "34.6" and pct(None) == "—"


def test_cutoff_between_the_last_awarded_and_the_next():
    rows = [_row("A", 1, 70, 68, 72, True), _row("B", 2, 66, 60, 69, True),
            _row("C", 3, 62, 58, 67, False), _row("D", 4, 50, 48, 52, False)]
    assert cutoff(rows, 3) == (64.0, "advanced")
    # without awards: between rank top_k and top_k + 1
    plain = [{**r, "advanced": None} for r in rows]
    assert cutoff(plain, 2) == (64.0, "top") and cutoff(plain, 3) == (56.0, "top")
    assert cutoff(plain[:2], 3) == (None, "top")


def test_trend_ranks_each_quarter_within_the_group():
    rows = [_row("A", 1, 70, 0, 0, segments={"Q1": 50.0, "Q2": 60.0}),
            _row("B", 2, 65, 0, 0, segments={"Q1": 55.0, "Q2": 58.0}),
            _row("C", 3, 60, 0, 0, segments={"Q1": 40.0})]
    trend = _trend("G", rows, ["Q1", "Q2"], texts("en"))
    assert trend["periods"] == ["Q1", "Q2", "Composite"]
    assert [r["ranks"] for r in trend["rows"]] == [[2, 1, 1], [1, 2, 2], [3, "—", 3]]
