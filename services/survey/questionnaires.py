"""Questionnaires as stored: versions of a code, edits before fielding, the freeze when
a poll using one fields, and the frozen versions read once per process.

The document itself is ``questionnaire_document`` (format and checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import get_or_404, utcnow
from shared.errors import Conflict

from .models.questionnaires import Questionnaire
from .questionnaire_answers import next_question, route
from .questionnaire_document import question_map, validate_document


def create_questionnaire(session: Session, *, code: str, title_zh: str, title_en: str,
                         document: Any) -> Questionnaire:
    """A new version of ``code`` (1 for a new code, else the next number)."""
    doc = validate_document(document)
    latest = session.scalar(select(func.max(Questionnaire.version))
                            .where(Questionnaire.code == code))
    questionnaire = Questionnaire(code=code, version=(latest or 0) + 1, title_zh=title_zh,
                                  title_en=title_en, document=doc)
    session.add(questionnaire)
    session.flush()
    return questionnaire


def get_questionnaire(session: Session, questionnaire_id: int) -> Questionnaire:
    """One version; NotFound when there is none."""
    return get_or_404(session, Questionnaire, questionnaire_id)


def list_questionnaires(session: Session, code: str | None = None) -> list[Questionnaire]:
    """Every version (of ``code`` when given), by code and version."""
    query = select(Questionnaire).order_by(Questionnaire.code, Questionnaire.version)
    if code:
        query = query.where(Questionnaire.code == code)
    return list(session.scalars(query))


def update_questionnaire(session: Session, questionnaire_id: int, *, title_zh: str,
                         title_en: str, document: Any) -> Questionnaire:
    """Edit a version in place; Conflict when a fielding poll has frozen it."""
    questionnaire = get_questionnaire(session, questionnaire_id)
    if questionnaire.frozen:
        raise Conflict(f"Questionnaire {questionnaire.code} v{questionnaire.version} is frozen "
                       "(a poll using it is in the field); create a new version",
                       {"questionnaire": ["frozen"]})
    questionnaire.document = validate_document(document)
    questionnaire.title_zh, questionnaire.title_en = title_zh, title_en
    session.flush()
    return questionnaire


def route_of(session: Session, questionnaire_id: int, answers: Mapping[str, Any],
             mode: str) -> dict[str, Any]:
    """``{"next_question", "route"}``: the questions a version shows for ``answers`` and
    the next one to ask (None when done); NotFound for an unknown version."""
    document = get_questionnaire(session, questionnaire_id).document
    return {"next_question": next_question(document, answers, mode),
            "route": route(document, answers, mode)}


def freeze(questionnaire: Questionnaire) -> None:
    """Freeze a version (once): a poll using it is in the field."""
    if questionnaire.frozen_at is None:
        questionnaire.frozen_at = utcnow()


_FROZEN_CACHE: dict[tuple[int, Any], tuple[Mapping, dict[str, dict]]] = {}
_FROZEN_CACHE_SIZE = 128


def frozen_document(session: Session, questionnaire_id: int,
                    frozen_at: Any) -> tuple[Mapping, dict[str, dict]] | None:
    """Document and question map of a frozen version, read once per process.

    A frozen version never changes, so the busy telephone webhooks need not read and
    decode it on every keypress. The cache key includes ``frozen_at`` so that a
    version id reused by another database (tests empty their tables) is never
    confused with it. None when the version is not frozen. Callers must not mutate
    what they get.
    """
    if frozen_at is None:
        return None
    key = (questionnaire_id, frozen_at)
    cached = _FROZEN_CACHE.get(key)
    if cached is None:
        document = session.scalar(select(Questionnaire.document)
                                  .where(Questionnaire.id == questionnaire_id))
        if document is None:
            return None
        if len(_FROZEN_CACHE) >= _FROZEN_CACHE_SIZE:
            _FROZEN_CACHE.pop(next(iter(_FROZEN_CACHE)), None)
        cached = _FROZEN_CACHE[key] = (document, question_map(document))
    return cached
