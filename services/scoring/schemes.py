"""Assessment schemes: versioned documents; a version used by a published run is frozen.

``freeze_scheme_version`` is what the runs feature calls when it publishes a run;
after that the version answers 409 to any change or deletion.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.scoring.models.registry import PeerGroup
from services.scoring.models.schemes import Scheme, SchemeVersion
from services.scoring.scheme_document import indicators, validate_document
from shared.db import get_or_404, utcnow
from shared.errors import BadRequest, Conflict, NotFound, ValidationFailed
from shared.inputs import loads, parse_nested

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def parse_document(body: bytes, mimetype: str) -> Any:
    """A document from a JSON or YAML body; raise ValidationFailed naming the line."""
    text = body.decode("utf-8-sig", errors="replace")
    if mimetype in YAML_TYPES:
        try:
            return parse_nested(yaml.safe_load, text)
        except yaml.YAMLError as exc:
            raise ValidationFailed("The YAML document does not parse",
                                   {"document": [yaml_problem(exc)]}) from None
    try:
        return loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest("Malformed JSON body",
                         {"document": [f"line {exc.lineno}, column {exc.colno}: {exc.msg}"]}) \
            from None


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Where and what: ``line 3, column 7: mapping values are not allowed here``."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}{getattr(exc, 'problem', None) or exc}"


def _peer_groups(session: Session) -> set[str]:
    return set(session.scalars(select(PeerGroup.code)))


def check_document(session: Session, document: Any) -> dict[str, Any]:
    """Validate against the registry's peer groups; return a summary."""
    validate_document(document, _peer_groups(session))
    leaves = indicators(document)
    by_source: dict[str, int] = {}
    for leaf in leaves:
        by_source[leaf["source"]] = by_source.get(leaf["source"], 0) + 1
    return {"valid": True, "indicators": len(leaves), "by_source": by_source}


def list_schemes(session: Session) -> list[Scheme]:
    return list(session.scalars(select(Scheme).order_by(Scheme.code)))


def get_scheme(session: Session, code: str) -> Scheme:
    scheme = session.scalar(select(Scheme).where(Scheme.code == code))
    if scheme is None:
        raise NotFound(f"Scheme {code!r} not found")
    return scheme


def create_scheme(session: Session, code: str, name_zh: str, name_en: str) -> Scheme:
    if session.scalar(select(Scheme).where(Scheme.code == code)) is not None:
        raise Conflict(f"Scheme {code!r} exists", {"code": ["already exists"]})
    scheme = Scheme(code=code, name_zh=name_zh, name_en=name_en, created_at=utcnow())
    session.add(scheme)
    session.flush()
    return scheme


def add_version(session: Session, code: str, document: Any, actor: str) -> SchemeVersion:
    """Validate and store the next version of a scheme; raise ValidationFailed."""
    scheme = get_scheme(session, code)
    validate_document(document, _peer_groups(session))
    number = (session.scalar(select(func.max(SchemeVersion.version))
                             .where(SchemeVersion.scheme_id == scheme.id)) or 0) + 1
    now = utcnow()
    version = SchemeVersion(scheme_id=scheme.id, version=number, document=document,
                            created_by=actor, created_at=now, updated_at=now, frozen=False)
    session.add(version)
    session.flush()
    return version


def get_version(session: Session, code: str, number: int) -> SchemeVersion:
    scheme = get_scheme(session, code)
    version = session.scalar(select(SchemeVersion).where(SchemeVersion.scheme_id == scheme.id,
                                                         SchemeVersion.version == number))
    if version is None:
        raise NotFound(f"Scheme {code!r} has no version {number}")
    return version


def get_version_by_id(session: Session, version_id: int) -> SchemeVersion:
    """Raise NotFound for an unknown id."""
    return get_or_404(session, SchemeVersion, version_id, name="Scheme version")


def _ensure_unfrozen(version: SchemeVersion) -> None:
    if version.frozen:
        raise Conflict(f"Scheme version {version.scheme.code} v{version.version} is frozen: a "
                       "published run used it; add a new version instead",
                       {"version": ["frozen"]})


def replace_version(session: Session, code: str, number: int, document: Any) -> SchemeVersion:
    """Replace the document of a draft version; Conflict when frozen."""
    version = get_version(session, code, number)
    _ensure_unfrozen(version)
    validate_document(document, _peer_groups(session))
    version.document = document
    version.updated_at = utcnow()
    session.flush()
    return version


def delete_version(session: Session, code: str, number: int) -> None:
    version = get_version(session, code, number)
    _ensure_unfrozen(version)
    session.delete(version)
    session.flush()


def freeze_scheme_version(session: Session, version_id: int) -> SchemeVersion:
    """Mark a version as used by a published run: from now on it is read-only (409).

    Idempotent; raises NotFound for an unknown id.
    """
    version = get_version_by_id(session, version_id)
    if not version.frozen:
        version.frozen = True
        version.frozen_at = utcnow()
        session.flush()
    return version


def indicator_catalogue(session: Session) -> dict[str, dict[str, Any]]:
    """Indicator id → definition, from the latest version of every scheme.

    Self-checks and direct values are validated against it; where two schemes define
    the same id, the more recently created version wins.
    """
    latest = (select(SchemeVersion.scheme_id, func.max(SchemeVersion.version).label("v"))
              .group_by(SchemeVersion.scheme_id).subquery())
    versions = session.scalars(
        select(SchemeVersion).join(latest, (SchemeVersion.scheme_id == latest.c.scheme_id)
                                   & (SchemeVersion.version == latest.c.v))
        .order_by(SchemeVersion.created_at, SchemeVersion.id))
    catalogue: dict[str, dict[str, Any]] = {}
    for version in versions:
        for leaf in indicators(version.document):
            catalogue[leaf["id"]] = leaf
    return catalogue
