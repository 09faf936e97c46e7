"""AAPOR dispositions of sample members: the codes Kaoping uses, each with its outcome
category, the list of a poll's dispositions, and coding one by hand.

Codes follow the AAPOR Standard Definitions (2023): 1.1 complete, 1.2 partial, 2.11
refusal, 2.12 break-off, … 4.80 quota filled. The category of a code (I, P, R, NC, O, UH,
UO, NE) is what the outcome rates count (``outcome_rates``); how a telephone case's
calls come to a code is ``telephony.call_outcomes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import get_or_404, utcnow
from shared.errors import ValidationFailed

from .interviews import OPEN_STATUSES
from .models.interviews import Interview
from .models.polls import Poll


@dataclass(frozen=True)
class Disposition:
    code: str
    category: str  # I, P, R, NC, O, UH, UO, NE (not eligible)
    en: str
    zh: str


# AAPOR Standard Definitions (2023), final disposition codes used by Kaoping.
DISPOSITIONS = {d.code: d for d in (
    Disposition("1.1", "I", "complete", "完成"),
    Disposition("1.2", "P", "partial", "部分完成"),
    Disposition("2.11", "R", "refusal", "拒访"),
    Disposition("2.12", "R", "break-off", "中途退出"),
    Disposition("2.20", "NC", "non-contact", "未接触"),
    Disposition("2.21", "NC", "respondent never available", "受访者始终不在"),
    Disposition("2.22", "NC", "answering machine, no message left", "答录机"),
    Disposition("2.30", "O", "other eligible non-interview", "其他合格未访"),
    Disposition("2.32", "O", "physically or mentally unable", "身体或精神原因无法受访"),
    Disposition("2.33", "O", "language barrier", "语言障碍"),
    Disposition("3.10", "UH", "unknown if household/number is eligible", "号码是否合格未知"),
    Disposition("3.11", "UH", "not attempted", "未拨打"),
    Disposition("3.13", "UH", "no answer after all attempts", "多次拨打无人接听"),
    Disposition("3.14", "UH", "busy / call blocking", "占线或拦截"),
    Disposition("3.19", "UO", "invitation sent, nothing returned", "已发邀请，未回应"),
    Disposition("3.20", "UO", "unknown if an eligible respondent", "受访者是否合格未知"),
    Disposition("4.10", "NE", "out of sample", "不在样本范围"),
    Disposition("4.20", "NE", "fax / data line", "传真或数据线路"),
    Disposition("4.30", "NE", "non-working or disconnected number", "空号或停机"),
    Disposition("4.70", "NE", "no eligible respondent", "无合格受访者"),
    Disposition("4.80", "NE", "quota filled", "配额已满"),
)}


def category(code: str) -> str:
    """The AAPOR outcome category of a disposition code (I, P, R, NC, O, UH, UO, NE)."""
    return DISPOSITIONS[code].category


def poll_dispositions(session: Session, poll_id: int) -> list[dict[str, Any]]:
    """The disposition of every sample member of a poll, by interview, with its category
    and labels; NotFound (no poll)."""
    get_or_404(session, Poll, poll_id)
    rows = []
    for interview in session.scalars(select(Interview).where(
            Interview.poll_id == poll_id).order_by(Interview.id)):
        disposition = DISPOSITIONS[interview.disposition]
        rows.append({"id": interview.id, "mode": interview.mode,
                     "township": interview.township, "stratum": interview.stratum,
                     "status": interview.status, "disposition": interview.disposition,
                     "category": disposition.category, "label_en": disposition.en,
                     "label_zh": disposition.zh})
    return rows


def set_disposition(session: Session, interview_id: int, code: str) -> Interview:
    """Code an AAPOR disposition; an open interview coded as a non-interview (R, NC, O,
    NE) ends. NotFound (no interview), ValidationFailed for an unknown code."""
    interview = get_or_404(session, Interview, interview_id)
    if code not in DISPOSITIONS:
        raise ValidationFailed("Unknown disposition", {"disposition": [
            f"one of {', '.join(DISPOSITIONS)}"]})
    interview.disposition = code
    if code != "1.1" and interview.status in OPEN_STATUSES and category(code) in (
            "R", "NC", "O", "NE"):
        interview.status = "ended"
    interview.updated_at = utcnow()
    session.flush()
    return interview
