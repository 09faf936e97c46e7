"""Call outcomes, and the AAPOR disposition of a telephone case from its calls.

Codes follow the AAPOR Standard Definitions (telephone surveys): 1.1 complete, 1.2
partial, 2.11 refusal (also an opt-out, and a person who answered but gave no consent),
2.12 break-off, 2.22 answering machine with no contact made (non-contact, as DESIGN.md
maps it), 3.11 not yet attempted, 3.13 no answer, 3.14 always busy, 4.30 non-working or
disconnected number (not eligible); codes of the table in
``services.survey.dispositions``.

A case's disposition is the best outcome over its attempts, in the order complete >
partial > refusal / break-off (the first of these) > a person's silent no-consent >
non-contact > unknown eligibility > not eligible. A break-off counts as a partial when
the share of questions on the respondent's route that were answered reaches the poll's
declared threshold (``partial_threshold``).
"""

from __future__ import annotations

from collections.abc import Iterable

COMPLETE, PARTIAL = "1.1", "1.2"
REFUSAL, BREAK_OFF = "2.11", "2.12"
MACHINE = "2.22"
NOT_ATTEMPTED, NO_ANSWER, ALWAYS_BUSY = "3.11", "3.13", "3.14"
NOT_WORKING = "4.30"

# What one call attempt came to (from CallStatus, AnsweredBy and the interview):
# complete, break-off, refusal, opt-out, no-consent, machine, no-answer, busy, failed or
# canceled. "no-consent": a person (AnsweredBy human) answered and gave no consent:
# silence at the consent prompt, a hang-up during the introduction, or an IVR that failed
# before asking. An implicit refusal (AAPOR 2.11), and a "soft" one: called again after
# its delay. Outcomes after which the case is not called again:
FINAL_OUTCOMES = ("complete", "refusal", "opt-out")

# An explicit refusal or a break-off says more than a silent answer: it ranks first.
_RANK = {"complete": 0, "partial": 1, "refusal": 2, "break-off": 2, "opt-out": 2,
         "no-consent": 3, "machine": 4, "no-answer": 5, "busy": 6, "canceled": 7, "failed": 8}


def call_outcome(call_status: str, answered_by: str | None, *, consent: bool | None,
                 opted_out: bool, finished: bool) -> str:
    """What one attempt came to.

    ``call_status`` is Twilio's final CallStatus (completed, busy, no-answer, failed,
    canceled); ``answered_by`` Twilio's AnsweredBy (``human``, ``machine_start``,
    ``fax``, ``unknown``…); ``consent`` None when the consent question was never
    answered; ``finished`` True when the interview reached its end on this call.
    """
    if call_status in ("busy", "no-answer", "failed", "canceled"):
        return call_status
    if opted_out:
        return "opt-out"
    if consent is False:
        return "refusal"
    if finished:
        return "complete"
    if consent:
        return "break-off"
    if answered_by == "human":
        # Contact with a person was made, and they did not take part: a refusal (or, on a
        # call-back of a broken-off interview, the break-off stands), never a non-contact.
        return "no-consent"
    # Answered by a machine or fax, or without answering-machine detection's verdict
    # (AnsweredBy absent or "unknown"): no contact with a person is known to have been
    # made (AAPOR non-contact, answering machine).
    return "machine"


def case_disposition(outcomes: Iterable[str], *, answered_share: float,
                     partial_threshold: float) -> str:
    """The AAPOR code of a case from its attempts' outcomes (see module docstring)."""
    outcomes = [o for o in outcomes if o]
    if not outcomes:
        return NOT_ATTEMPTED
    labelled = ["partial" if o == "break-off" and answered_share >= partial_threshold else o
                for o in outcomes]
    best = min(labelled, key=lambda o: _RANK.get(o, 9))
    return {"complete": COMPLETE, "partial": PARTIAL, "refusal": REFUSAL, "opt-out": REFUSAL,
            "no-consent": REFUSAL, "break-off": BREAK_OFF, "machine": MACHINE,
            "no-answer": NO_ANSWER, "busy": ALWAYS_BUSY, "canceled": NOT_ATTEMPTED,
            "failed": NOT_WORKING}[best]

