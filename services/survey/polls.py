"""Polls: create (townships checked against the scoring registry), open, close, quotas."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shared.config import county_today
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, DependencyDown, Problems, ValidationFailed

from .interviews import close_interview
from .models.interviews import Interview
from .models.polls import MODES, Poll, PollMargin, PollTownship, StratumQuota
from .questionnaire_document import question_map
from .questionnaires import freeze, get_questionnaire
from .scoring_registry import ScoringRegistry


def get_poll(session: Session, poll_id: int) -> Poll:
    """One poll; NotFound when there is none."""
    return get_or_404(session, Poll, poll_id)


def list_polls(session: Session, status: str | None = None) -> list[Poll]:
    """Every poll (in ``status`` when given), by id."""
    query = select(Poll).order_by(Poll.id)
    if status:
        query = query.where(Poll.status == status)
    return list(session.scalars(query))


def _validate(session: Session, registry: ScoringRegistry, data: dict[str, Any]) -> None:
    problems = Problems()
    questionnaire = get_questionnaire(session, data["questionnaire_id"])
    questions = question_map(questionnaire.document)
    modes = data["modes"]
    if not modes or set(modes) - set(MODES) or len(set(modes)) != len(modes):
        problems.add("modes", f"a non-empty list of distinct modes from {', '.join(MODES)}")
    if data["field_start"] > data["field_end"]:
        problems.add("field_end", "must not be before field_start")
    codes = [t["code"] for t in data["townships"]]
    if not codes:
        problems.add("townships", "needs at least one township")
    duplicates = sorted(code for code, n in Counter(codes).items() if n > 1)
    if duplicates:
        problems.add("townships", f"listed twice: {', '.join(duplicates)}")
    for quota in data.get("quotas", []):
        if quota["township"] not in codes:
            problems.add("quotas", f"township {quota['township']} is not in the poll")
    stratum_question = data.get("stratum_question")
    if stratum_question and (stratum_question not in questions or questions[stratum_question][
            "type"] not in ("single", "yesno", "rating")):
        problems.add("stratum_question", "must be a single choice, yes/no or rating question")
    problems.raise_if_any("Invalid poll")
    known = registry.township_codes()
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ValidationFailed("Unknown township codes",
                               {"townships": [f"not townships in the scoring registry: "
                                              f"{', '.join(unknown)}"]})


def _apply(poll: Poll, data: dict[str, Any]) -> None:
    for field in ("name_zh", "name_en", "questionnaire_id", "modes", "field_start", "field_end",
                  "stratum_question", "partial_threshold", "stop_at_quota"):
        if field in data:
            setattr(poll, field, data[field])
    poll.townships = [PollTownship(township=t["code"], target_completes=t["target_completes"])
                      for t in data["townships"]]
    poll.quotas = [StratumQuota(township=q["township"], stratum=str(q["stratum"]),
                                target_completes=q["target_completes"])
                   for q in data.get("quotas", [])]


def create_poll(session: Session, registry: ScoringRegistry, data: dict[str, Any]) -> Poll:
    """A draft poll; 422 for bad fields or township codes the registry does not know,
    503 when the registry cannot be reached."""
    _validate(session, registry, data)
    poll = Poll(status="draft")
    _apply(poll, data)
    session.add(poll)
    session.flush()
    return poll


def update_poll(session: Session, registry: ScoringRegistry, poll_id: int,
                data: dict[str, Any]) -> Poll:
    """Replace a draft poll's settings; Conflict once it is fielding or closed."""
    poll = get_poll(session, poll_id)
    if poll.status != "draft":
        raise Conflict(f"Poll {poll_id} is {poll.status}; only a draft can be changed",
                       {"status": [poll.status]})
    _validate(session, registry, data)
    session.execute(delete(PollTownship).where(PollTownship.poll_id == poll.id))
    session.execute(delete(StratumQuota).where(StratumQuota.poll_id == poll.id))
    session.expire(poll, ["townships", "quotas"])
    _apply(poll, data)
    session.flush()
    return poll


def open_poll(session: Session, poll_id: int) -> Poll:
    """draft → fielding; freezes the questionnaire."""
    poll = get_poll(session, poll_id)
    if poll.status != "draft":
        raise Conflict(f"Poll {poll_id} is {poll.status}, not draft", {"status": [poll.status]})
    poll.status = "fielding"
    poll.opened_at = utcnow()
    freeze(poll.questionnaire)
    session.flush()
    return poll


def close_poll(session: Session, registry: ScoringRegistry | None, poll_id: int) -> Poll:
    """fielding → closed; unfinished interviews become partials or break-offs, and the
    township margins are snapshotted (left for later when the registry is down)."""
    poll = get_poll(session, poll_id)
    if poll.status != "fielding":
        raise Conflict(f"Poll {poll_id} is {poll.status}, not fielding",
                       {"status": [poll.status]})
    for interview in session.scalars(select(Interview).where(
            Interview.poll_id == poll.id, Interview.status == "in_progress")):
        close_interview(interview, poll)
    poll.status = "closed"
    poll.closed_at = utcnow()
    if registry is not None:
        try:
            snapshot_margins(session, registry, poll.id)
        except DependencyDown:
            pass
    session.flush()
    return poll


def snapshot_margins(session: Session, registry: ScoringRegistry,
                     poll_id: int) -> list[PollMargin]:
    """Pull every township's margins from the registry and store them with the poll;
    NotFound (no poll), DependencyDown when the registry cannot be reached."""
    poll = get_poll(session, poll_id)
    rows = []
    for township in poll.townships:
        for margin in registry.margins(township.township):
            rows.append(PollMargin(poll_id=poll.id, township=township.township,
                                   variable=str(margin["variable"]),
                                   category=str(margin["category"]),
                                   count=float(margin["count"])))
    session.execute(delete(PollMargin).where(PollMargin.poll_id == poll.id))
    session.add_all(rows)
    poll.margins_fetched_at = utcnow()
    session.flush()
    return rows


def poll_margins(session: Session, registry: ScoringRegistry | None,
                 poll_id: int) -> list[PollMargin]:
    """The stored margins, fetched first when the poll has none yet; NotFound (no poll)."""
    poll = get_poll(session, poll_id)
    if poll.margins_fetched_at is None and registry is not None:
        return snapshot_margins(session, registry, poll.id)
    return list(session.scalars(select(PollMargin).where(PollMargin.poll_id == poll.id)
                                .order_by(PollMargin.id)))


def completes(session: Session, poll_id: int) -> dict[tuple[str | None, str | None], int]:
    """Completed interviews by (township, stratum)."""
    rows = session.execute(
        select(Interview.township, Interview.stratum, func.count())
        .where(Interview.poll_id == poll_id, Interview.status == "complete")
        .group_by(Interview.township, Interview.stratum))
    return {(township, stratum): n for township, stratum, n in rows}


def poll_quotas(session: Session, poll_id: int) -> list[dict[str, Any]]:
    """``quota_status`` of a poll; NotFound (no poll)."""
    return quota_status(session, get_poll(session, poll_id))


def quota_status(session: Session, poll: Poll) -> list[dict[str, Any]]:
    """Per township: target, completes, filled, and each stratum quota the same way."""
    done = completes(session, poll.id)
    report = []
    for township in poll.townships:
        n = sum(v for (t, _s), v in done.items() if t == township.township)
        strata = [{"stratum": q.stratum, "target_completes": q.target_completes,
                   "completes": done.get((township.township, q.stratum), 0),
                   "filled": done.get((township.township, q.stratum), 0) >= q.target_completes}
                  for q in poll.quotas if q.township == township.township]
        report.append({"township": township.township,
                       "target_completes": township.target_completes, "completes": n,
                       "filled": 0 < township.target_completes <= n, "strata": strata})
    return report


def quota_filled(session: Session, poll: Poll, township: str | None,
                 stratum: str | None) -> bool:
    """True when the poll stops at quota and this township (or its stratum) is full."""
    if not poll.stop_at_quota or township is None:
        return False
    for row in quota_status(session, poll):
        if row["township"] != township:
            continue
        if row["filled"]:
            return True
        return any(s["filled"] for s in row["strata"] if s["stratum"] == stratum)
    return False


def in_field(poll: Poll, today: date | None = None) -> bool:
    """A poll takes answers while fielding and within its field period (dates in China
    Standard Time, UTC+8, which has no daylight saving)."""
    today = today or county_today()
    return poll.status == "fielding" and poll.field_start <= today <= poll.field_end
