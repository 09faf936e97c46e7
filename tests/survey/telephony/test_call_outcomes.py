"""Call outcomes from Twilio's call data, and the AAPOR disposition of a case."""

from __future__ import annotations

import pytest

from services.survey.dispositions import category
from services.survey.telephony import call_outcomes as d


@pytest.mark.parametrize("outcomes,share,code", [
    (["no-answer", "busy", "complete"], 1.0, d.COMPLETE),
    (["break-off"], 0.6, d.PARTIAL), (["break-off"], 0.2, d.BREAK_OFF),
    (["machine", "no-answer"], 0.0, d.MACHINE), (["no-answer", "busy"], 0.0, d.NO_ANSWER),
    (["busy", "busy"], 0.0, d.ALWAYS_BUSY), (["failed"], 0.0, d.NOT_WORKING),
    (["opt-out"], 0.0, d.REFUSAL), ([], 0.0, d.NOT_ATTEMPTED),
    (["no-answer", "no-consent", "machine"], 0.0, d.REFUSAL),
    # a call-back of a broken-off interview answered in silence: the break-off stands
    (["no-consent", "break-off"], 0.2, d.BREAK_OFF), (["break-off", "no-consent"], 0.2,
                                                       d.BREAK_OFF),
    (["break-off", "no-consent"], 0.6, d.PARTIAL)])
def test_case_dispositions(outcomes, share, code):
    assert d.case_disposition(outcomes, answered_share=share, partial_threshold=0.5) == code


def test_call_outcomes_from_call_status_and_answered_by():
    assert d.call_outcome("completed", "machine_start", consent=None, opted_out=False,
                          finished=False) == "machine"
    assert d.call_outcome("completed", "human", consent=False, opted_out=False,
                          finished=False) == "refusal"
    for answered_by, outcome in (("human", "no-consent"), ("unknown", "machine"),
                                 (None, "machine"), ("fax", "machine")):
        assert d.call_outcome("completed", answered_by, consent=None, opted_out=False,
                              finished=False) == outcome
    assert d.call_outcome("no-answer", None, consent=None, opted_out=False,
                          finished=False) == "no-answer"
    assert [category(c) for c in (d.COMPLETE, d.MACHINE, d.NO_ANSWER, d.NOT_WORKING)] == [
        "I", "NC", "UH", "NE"]
