"""Campaigns: settings, the sampling frame import, start/pause/resume/cancel, live
progress, and the calls' process data.

Each frame number becomes a phone ``Interview`` of the poll (disposition 3.11, not
attempted) and a ``PhoneContact`` holding the encrypted number and the case's calling
state. Numbers on the do-not-call list (``do_not_call``) are left out at import and at
dial time.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.survey.estimation import Dispositions, outcome_rates
from services.survey.interviews import new_interview
from services.survey.models.interviews import Interview
from services.survey.models.polls import Poll
from services.survey.models.telephony import CallAttempt, Campaign, DoNotCall, PhoneContact
from services.survey.outcome_rates import tally
from services.survey.telephony.frame import FrameError, normalise_number, parse_frame, read_rows
from services.survey.telephony.ivr import phone_problems
from services.survey.telephony.vault import PhoneVault
from services.survey.telephony.windows import CallingWindows
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, Problems, ValidationFailed

DEFAULT_DELAYS = {"no-answer": 3600, "busy": 900, "machine": 7200, "failed": None,
                  "break-off": 1800, "no-consent": 86400, "canceled": 600}
DEFAULT_WINDOWS = ["09:00-12:00", "14:00-20:30"]
IN_FLIGHT = ("placing", "placed", "in-progress")
EDITABLE_STATES = ("draft", "running", "paused")
log = logging.getLogger("kaoping.survey.campaigns")
TRANSITIONS = {"start": (("draft", "paused"), "running"), "resume": (("paused",), "running"),
               "pause": (("running",), "paused"),
               "cancel": (("draft", "running", "paused"), "cancelled")}


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """One campaign; NotFound when there is none."""
    return get_or_404(session, Campaign, campaign_id)


def list_campaigns(session: Session, poll_id: int | None = None) -> list[Campaign]:
    """Every campaign (of ``poll_id`` when given), by id."""
    query = select(Campaign).order_by(Campaign.id)
    if poll_id is not None:
        query = query.where(Campaign.poll_id == poll_id)
    return list(session.scalars(query))


def _validate(data: dict[str, Any]) -> None:
    problems = Problems()
    try:
        ZoneInfo(data["zone"])
    except (ValueError, KeyError):
        problems.add("zone", f"unknown time zone {data['zone']!r} (e.g. Asia/Shanghai)")
    else:
        try:
            CallingWindows.from_config(data["windows"], data["weekdays"], data["zone"])
        except (ValueError, KeyError) as exc:
            problems.add("windows", str(exc))
    unknown = set(data["delays"]) - set(DEFAULT_DELAYS)
    if unknown:
        problems.add("delays", f"unknown outcomes {sorted(unknown)}; one of {list(DEFAULT_DELAYS)}")
    if any(v is not None and (not isinstance(v, int) or v < 0) for v in data["delays"].values()):
        problems.add("delays", "seconds must be whole numbers >= 0 or null")
    try:
        normalise_number(data["from_number"])
    except ValueError as exc:
        problems.add("from_number", str(exc))
    problems.raise_if_any("Invalid campaign")


def create_campaign(session: Session, data: dict[str, Any]) -> Campaign:
    """A draft campaign of a phone-mode poll; ValidationFailed / NotFound / Conflict."""
    poll = get_or_404(session, Poll, data["poll_id"])
    if "phone" not in poll.modes:
        raise Conflict(f"Poll {poll.id} is not fielded by phone", {"poll_id": ["no phone mode"]})
    unfit = phone_problems(poll.questionnaire.document)
    if unfit:
        raise ValidationFailed("The questionnaire cannot be asked on the keypad", unfit)
    data = {"windows": DEFAULT_WINDOWS, "weekdays": [0, 1, 2, 3, 4], "zone": "Asia/Shanghai",
            **data}
    data["delays"] = {**DEFAULT_DELAYS, **(data.get("delays") or {})}
    _validate(data)
    data["from_number"] = normalise_number(data["from_number"])
    campaign = Campaign(**data)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign_id: int, changes: dict[str, Any],
                    by: str) -> Campaign:
    """Change settings of a draft, running or paused campaign; the dialer reads them on
    its next pass. ``delays`` and ``prompts`` are merged into the current ones;
    ``stop_at_quota`` is the poll's flag. NotFound (no campaign), Conflict when the
    campaign is cancelled or finished, or for the caller id of a running campaign;
    ValidationFailed per field. Logs who changed what (old and new values) as one JSON
    line."""
    campaign = get_campaign(session, campaign_id)
    if campaign.state not in EDITABLE_STATES:
        raise Conflict(f"Campaign {campaign.id} is {campaign.state}; its settings are final",
                       {"state": [campaign.state]})
    if "from_number" in changes and campaign.state == "running":
        raise Conflict(f"Campaign {campaign.id} is running; pause it to change the caller id",
                       {"from_number": ["cannot change while the campaign is running"]})
    changes = dict(changes)
    if "delays" in changes:
        changes["delays"] = {**campaign.delays, **changes["delays"]}
    if "prompts" in changes:
        changes["prompts"] = {**(campaign.prompts or {}), **changes["prompts"]}
    merged = {name: changes.get(name, getattr(campaign, name))
              for name in ("windows", "weekdays", "zone", "delays", "from_number")}
    _validate(merged)
    if "from_number" in changes:
        changes["from_number"] = normalise_number(changes["from_number"])
    changed: dict[str, list[Any]] = {}
    for name, value in changes.items():
        target = campaign.poll if name == "stop_at_quota" else campaign
        old = getattr(target, name)
        if old != value:
            changed[name] = [old, value]
            setattr(target, name, value)
    session.flush()
    log.info(json.dumps({"event": "campaign_changed", "campaign_id": campaign.id,
                         "state": campaign.state, "by": by, "at": utcnow().isoformat(),
                         "changes": changed}, ensure_ascii=False, sort_keys=True))
    return campaign


def change_state(session: Session, campaign_id: int, action: str) -> Campaign:
    """start, pause, resume or cancel; ValidationFailed for another action, NotFound (no
    campaign), Conflict when the state does not allow it."""
    if action not in TRANSITIONS:
        raise ValidationFailed("Unknown action", {"action": [
            f"one of {', '.join(TRANSITIONS)}"]})
    campaign = get_campaign(session, campaign_id)
    allowed, target = TRANSITIONS[action]
    if campaign.state not in allowed:
        raise Conflict(f"Campaign {campaign.id} is {campaign.state}; cannot {action}",
                       {"state": [campaign.state]})
    if target == "running":
        if campaign.poll.status != "fielding":
            raise Conflict(f"Poll {campaign.poll_id} is {campaign.poll.status}, not fielding",
                           {"poll": [campaign.poll.status]})
        campaign.started_at = campaign.started_at or utcnow()
    if target == "cancelled":
        campaign.finished_at = utcnow()
    campaign.state = target
    session.flush()
    return campaign


def import_frame(session: Session, campaign_id: int, filename: str, content: bytes,
                 vault: PhoneVault) -> dict[str, int]:
    """Validate every row, then add all new numbers (all or nothing).

    Raises NotFound (no campaign), Conflict (cancelled or finished), ValidationFailed
    with ``{"row N": {column: [reasons]}}``. Numbers already in the campaign are counted
    as duplicates; do-not-call numbers are left out.
    """
    campaign = get_campaign(session, campaign_id)
    if campaign.state in ("cancelled", "finished"):
        raise Conflict(f"Campaign {campaign.id} is {campaign.state}", {"state": [campaign.state]})
    poll = campaign.poll
    try:
        rows = read_rows(filename, content)
    except FrameError as exc:
        raise ValidationFailed(str(exc), exc.errors) from None
    entries, problems = parse_frame(rows, townships={t.township for t in poll.townships})
    problems.raise_if_any("Invalid sampling frame")
    existing = set(session.scalars(select(PhoneContact.number_hash)
                                   .where(PhoneContact.campaign_id == campaign.id)))
    blocked = set(session.scalars(select(DoNotCall.number_hash)))
    report = Counter(rows=len(entries))
    for entry in entries:
        digest = vault.digest(entry.e164)
        if digest in existing:
            report["duplicates"] += 1
            continue
        if digest in blocked:
            report["do_not_call"] += 1
            continue
        existing.add(digest)
        interview = new_interview(session, poll, "phone", township=entry.township,
                                  stratum=entry.stratum, disposition="3.11")
        session.add(PhoneContact(campaign_id=campaign.id, interview_id=interview.id,
                                 township=entry.township, stratum=entry.stratum,
                                 number_encrypted=vault.encrypt(entry.e164),
                                 number_hash=digest, outcomes=[], skipped=[]))
        report["imported"] += 1
    session.flush()
    return {k: report.get(k, 0) for k in ("rows", "imported", "duplicates", "do_not_call")}


def _per_township(session: Session, campaign: Campaign, *conditions) -> dict[str, int]:
    """Attempts of the campaign meeting ``conditions``, counted per township."""
    return dict(session.execute(
        select(PhoneContact.township, func.count(CallAttempt.id))
        .join(CallAttempt, CallAttempt.contact_id == PhoneContact.id)
        .where(PhoneContact.campaign_id == campaign.id, *conditions)
        .group_by(PhoneContact.township)).all())


def progress(session: Session, campaign_id: int) -> dict[str, Any]:
    """Per township: dialled (calls placed), claimed (taken by a dialer, not placed yet),
    in progress (placed, not ended), completes, partials, refusals, non-contacts, unknown
    eligibility, not eligible, RR1, RR3 and COOP1 (AAPOR, e from resolved cases), quota
    fill; then the overall rates and the open cases and calls. NotFound (no campaign)."""
    campaign = get_campaign(session, campaign_id)
    targets = {t.township: t.target_completes for t in campaign.poll.townships}
    groups = tally(session.execute(
        select(PhoneContact.township, Interview.disposition, func.count())
        .join(Interview, Interview.id == PhoneContact.interview_id)
        .where(PhoneContact.campaign_id == campaign.id)
        .group_by(PhoneContact.township, Interview.disposition)))
    dialled = _per_township(session, campaign, CallAttempt.direction == "outbound",
                            CallAttempt.state != "lost", CallAttempt.placed_at.is_not(None))
    claimed = _per_township(session, campaign, CallAttempt.state == "placing",
                            CallAttempt.placed_at.is_(None))
    flying = _per_township(session, campaign, CallAttempt.state.in_(IN_FLIGHT),
                           CallAttempt.placed_at.is_not(None))
    rows = []
    for township in sorted(groups):
        g = groups[township]
        rates = outcome_rates(g).rates
        target = targets.get(township, 0)
        rows.append({"township": township, "cases": sum(asdict(g).values()),
                     "dialled": dialled.get(township, 0), "claimed": claimed.get(township, 0),
                     "in_progress": flying.get(township, 0), "completes": g.I,
                     "partials": g.P, "refusals": g.R, "non_contacts": g.NC,
                     "other": g.O, "unknown": g.UH + g.UO, "not_eligible": g.NE,
                     "rr1": rates["RR1"], "rr3": rates["RR3"], "coop1": rates["COOP1"],
                     "target_completes": target,
                     "quota_fill": (g.I / target) if target else None})
    return {"campaign_id": campaign.id, "state": campaign.state, "townships": rows,
            "overall": outcome_rates(Dispositions.total(groups.values())).to_dict(),
            "pending": session.scalar(select(func.count(PhoneContact.id)).where(
                PhoneContact.campaign_id == campaign.id, PhoneContact.state != "done")),
            "claimed": sum(claimed.values()), "in_progress": sum(flying.values())}


PROCESS_COLUMNS = ("id", "contact_id", "township", "attempt_number", "direction", "state",
                   "call_sid", "queued_at", "placed_at", "answered_at", "ended_at",
                   "call_status", "answered_by", "duration", "outcome", "disposition",
                   "last_question")


def attempts(session: Session, campaign_id: int) -> list[CallAttempt]:
    """The campaign's call attempts (process data, never the numbers), by id; NotFound
    (no campaign)."""
    get_campaign(session, campaign_id)
    return list(session.scalars(select(CallAttempt).where(
        CallAttempt.campaign_id == campaign_id).order_by(CallAttempt.id)))


def attempts_table(session: Session, campaign_id: int) -> tuple[tuple[str, ...], list[list]]:
    """``attempts`` as a spreadsheet: ``PROCESS_COLUMNS``, times as ISO 8601 text."""
    rows = []
    for attempt in attempts(session, campaign_id):
        values = {name: getattr(attempt, name, None) for name in PROCESS_COLUMNS}
        values["township"] = attempt.contact.township
        rows.append([value.isoformat() if isinstance(value, datetime) else value
                     for value in values.values()])
    return PROCESS_COLUMNS, rows
