"""Registry of record: peer groups, units, township population margins.

Every change is written to ``registry_changes`` with who, when and the entity's
state after it; the id of the last change is the registry version an assessment
quotes, and :func:`snapshot` rebuilds the registry as it was at any version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.scoring.models.direct_values import DirectValue
from services.scoring.models.key_tasks import KeyTask
from services.scoring.models.registry import (
    UNIT_KINDS,
    PeerGroup,
    RegistryChange,
    TownshipMargin,
    Unit,
)
from services.scoring.models.self_checks import SelfCheck
from services.scoring.spreadsheets import RowErrors, Table
from shared.db import utcnow
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.numbers import parse_number

UNIT_COLUMNS = ("code", "name_zh", "name_en", "kind", "peer_group", "active_from", "active_to",
                "lat", "lon")
PEER_GROUP_COLUMNS = ("code", "name_zh", "name_en", "description")
MARGIN_COLUMNS = ("unit", "variable", "category", "count")


# -- change log ----------------------------------------------------------------------

def _record(session: Session, actor: str, action: str, entity: str, key: str,
            after: Any, note: str = "") -> None:
    session.add(RegistryChange(actor=actor, action=action, entity=entity, entity_key=key,
                               after=after, note=note[:200], changed_at=utcnow()))
    session.flush()


def registry_version(session: Session) -> dict[str, Any]:
    """``{version, changed_at, sha256}``: the last change and a hash of the registry then."""
    last = session.scalar(select(RegistryChange).order_by(RegistryChange.id.desc()).limit(1))
    if last is None:
        return {"version": 0, "changed_at": None, "sha256": _hash(snapshot(session, 0))}
    return {"version": last.id, "changed_at": last.changed_at,
            "sha256": _hash(snapshot(session, last.id))}


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def snapshot(session: Session, version: int | None = None) -> dict[str, Any]:
    """The registry as it was after change ``version`` (default: now).

    Returns ``{version, peer_groups, units, margins}`` with lists sorted by key.
    """
    query = select(RegistryChange).order_by(RegistryChange.id)
    if version is not None:
        query = query.where(RegistryChange.id <= version)
    state: dict[tuple[str, str], Any] = {}
    last = 0
    for change in session.scalars(query):
        state[(change.entity, change.entity_key)] = change.after
        last = change.id
    out: dict[str, Any] = {"version": last, "peer_groups": [], "units": [], "margins": []}
    for (entity, _key), after in sorted(state.items()):
        if after is None:
            continue
        if entity == "peer_group":
            out["peer_groups"].append(after)
        elif entity == "unit":
            out["units"].append(after)
        elif entity == "margins":
            out["margins"].extend(after)
    return out


def list_changes(session: Session, since: int = 0, limit: int = 500) -> list[RegistryChange]:
    return list(session.scalars(select(RegistryChange).where(RegistryChange.id > since)
                                .order_by(RegistryChange.id).limit(limit)))


# -- peer groups ---------------------------------------------------------------------

def peer_group_dict(group: PeerGroup) -> dict[str, Any]:
    return {"code": group.code, "name_zh": group.name_zh, "name_en": group.name_en,
            "description": group.description}


def list_peer_groups(session: Session) -> list[PeerGroup]:
    return list(session.scalars(select(PeerGroup).order_by(PeerGroup.code)))


def get_peer_group(session: Session, code: str) -> PeerGroup:
    """Raise NotFound for an unknown code."""
    group = session.scalar(select(PeerGroup).where(PeerGroup.code == code))
    if group is None:
        raise NotFound(f"Peer group {code!r} not found")
    return group


def save_peer_group(session: Session, data: dict[str, Any], actor: str,
                    create_only: bool = False, note: str = "") -> PeerGroup:
    """Create or update a peer group by code; Conflict when ``create_only`` and it exists."""
    group = session.scalar(select(PeerGroup).where(PeerGroup.code == data["code"]))
    if group is not None and create_only:
        raise Conflict(f"Peer group {data['code']!r} exists", {"code": ["already exists"]})
    action = "update" if group else "create"
    if group is None:
        group = PeerGroup(code=data["code"])
        session.add(group)
    for key in ("name_zh", "name_en", "description"):
        if key in data and data[key] is not None:
            setattr(group, key, data[key])
    group.description = group.description or ""
    session.flush()
    _record(session, actor, action, "peer_group", group.code, peer_group_dict(group), note)
    return group


def delete_peer_group(session: Session, code: str, actor: str) -> None:
    """Raise Conflict while units are in the group."""
    group = get_peer_group(session, code)
    used = session.scalar(select(func.count()).select_from(Unit)
                          .where(Unit.peer_group_id == group.id))
    if used:
        raise Conflict(f"Peer group {code!r} still has {used} unit(s)", {"code": ["in use"]})
    session.delete(group)
    _record(session, actor, "delete", "peer_group", code, None)


# -- units ---------------------------------------------------------------------------

def unit_dict(unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name_zh": unit.name_zh, "name_en": unit.name_en,
            "kind": unit.kind, "peer_group": unit.peer_group.code if unit.peer_group else None,
            "active_from": unit.active_from.isoformat() if unit.active_from else None,
            "active_to": unit.active_to.isoformat() if unit.active_to else None,
            "lat": unit.lat, "lon": unit.lon}


def list_units(session: Session, kind: str | None = None, active: bool | None = None,
               on: date | None = None, peer_group: str | None = None) -> list[Unit]:
    """Units by code; ``active`` filters on being active on ``on`` (default today)."""
    query = select(Unit).order_by(Unit.code)
    if kind:
        query = query.where(Unit.kind == kind)
    if peer_group:
        query = query.join(PeerGroup).where(PeerGroup.code == peer_group)
    units = list(session.scalars(query))
    if active is not None:
        day = on or date.today()
        units = [u for u in units if is_active(u, day) == active]
    return units


def is_active(unit: Unit, day: date) -> bool:
    return ((unit.active_from is None or unit.active_from <= day)
            and (unit.active_to is None or unit.active_to >= day))


def get_unit(session: Session, code: str) -> Unit:
    """Raise NotFound for an unknown code."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"Unit {code!r} not found")
    return unit


def unit_ids(session: Session) -> dict[str, int]:
    """code → id of every unit (for imports)."""
    return dict(session.execute(select(Unit.code, Unit.id)).all())


def _check_unit(data: dict[str, Any], groups: dict[str, int]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.get("kind") not in UNIT_KINDS:
        errors["kind"] = [f"must be one of {', '.join(UNIT_KINDS)}"]
    group = data.get("peer_group")
    if group and group not in groups:
        errors["peer_group"] = [f"unknown peer group {group!r}"]
    start, end = data.get("active_from"), data.get("active_to")
    if start and end and end < start:
        errors["active_to"] = ["is before active_from"]
    for field, bound in (("lat", 90), ("lon", 180)):
        value = data.get(field)
        if value is not None and not -bound <= value <= bound:
            errors[field] = [f"must be within ±{bound}"]
    if (data.get("lat") is None) != (data.get("lon") is None):
        errors.setdefault("lat", []).append("give both lat and lon, or neither")
    return errors


def _group_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(PeerGroup.code, PeerGroup.id)).all())


def save_unit(session: Session, data: dict[str, Any], actor: str, *, create_only: bool = False,
              partial: bool = False, note: str = "") -> Unit:
    """Create or update a unit by code (``partial``: only the given fields change).

    Raises Conflict (``create_only`` and it exists), NotFound (``partial`` and it does
    not), ValidationFailed (bad kind, unknown peer group, dates, coordinates).
    """
    unit = session.scalar(select(Unit).where(Unit.code == data["code"]))
    if unit is not None and create_only:
        raise Conflict(f"Unit {data['code']!r} exists", {"code": ["already exists"]})
    if partial:
        if unit is None:
            raise NotFound(f"Unit {data['code']!r} not found")
        data = {"code": unit.code, "name_zh": unit.name_zh, "name_en": unit.name_en,
                "kind": unit.kind, "peer_group": unit.peer_group.code if unit.peer_group else None,
                "active_from": unit.active_from, "active_to": unit.active_to,
                "lat": unit.lat, "lon": unit.lon, **data}
    groups = _group_ids(session)
    errors = _check_unit(data, groups)
    if errors:
        raise ValidationFailed("Invalid unit", errors)
    return _apply_unit(session, unit, data, groups, actor, note)


def _apply_unit(session: Session, unit: Unit | None, data: dict[str, Any],
                groups: dict[str, int], actor: str, note: str) -> Unit:
    action = "update" if unit else "create"
    if unit is None:
        unit = Unit(code=data["code"])
        session.add(unit)
    unit.name_zh, unit.name_en, unit.kind = data["name_zh"], data["name_en"], data["kind"]
    unit.peer_group_id = groups.get(data.get("peer_group") or "")
    unit.active_from, unit.active_to = data.get("active_from"), data.get("active_to")
    unit.lat, unit.lon = data.get("lat"), data.get("lon")
    session.flush()
    session.refresh(unit)
    _record(session, actor, action, "unit", unit.code, unit_dict(unit), note)
    return unit


def delete_unit(session: Session, code: str, actor: str) -> None:
    """Raise Conflict when self-checks, key tasks or direct values refer to the unit
    (end it with ``active_to`` instead)."""
    unit = get_unit(session, code)
    for model, what in ((SelfCheck, "self-checks"), (KeyTask, "key tasks"),
                        (DirectValue, "direct values")):
        if session.scalar(select(func.count()).select_from(model).where(model.unit_id == unit.id)):
            raise Conflict(f"Unit {code!r} has {what}; end it with active_to instead",
                           {"code": [f"has {what}"]})
    session.delete(unit)
    _record(session, actor, "delete", "unit", code, None)


# -- margins -------------------------------------------------------------------------

def margin_dict(margin: TownshipMargin, unit_code: str) -> dict[str, Any]:
    return {"unit": unit_code, "variable": margin.variable, "category": margin.category,
            "count": margin.count}


def list_margins(session: Session, unit: str | None = None) -> list[dict[str, Any]]:
    query = (select(TownshipMargin, Unit.code).join(Unit, TownshipMargin.unit_id == Unit.id)
             .order_by(Unit.code, TownshipMargin.variable, TownshipMargin.category))
    if unit:
        get_unit(session, unit)
        query = query.where(Unit.code == unit)
    return [margin_dict(m, code) for m, code in session.execute(query)]


def _check_margin(row: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    variable, category = row.get("variable") or "", row.get("category") or ""
    if not variable:
        errors["variable"] = ["is required"]
    if not category:
        errors["category"] = ["is required"]
    if variable.count("*") != category.count("*"):
        errors["category"] = [f"a joint margin {variable!r} needs {variable.count('*') + 1} "
                              "parts joined by '*'"]
    count = row.get("count")
    if count is None or count < 0:
        errors["count"] = ["must be a number >= 0"]
    return errors


def replace_margins(session: Session, unit_code: str, rows: list[dict[str, Any]], actor: str,
                    note: str = "") -> list[dict[str, Any]]:
    """Replace all margins of a township; raise ValidationFailed listing bad rows."""
    unit = get_unit(session, unit_code)
    errors: dict[str, Any] = {}
    if unit.kind != "township":
        errors["unit"] = ["margins are kept for townships only"]
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        problems = _check_margin(row)
        key = (row.get("variable"), row.get("category"))
        if key in seen:
            problems.setdefault("category", []).append("duplicate variable and category")
        seen.add(key)
        if problems:
            errors[f"margins[{index}]"] = problems
    if errors:
        raise ValidationFailed("Invalid margins", errors)
    _store_margins(session, unit, rows)
    result = [{"unit": unit.code, "variable": r["variable"], "category": r["category"],
               "count": float(r["count"])} for r in rows]
    _record(session, actor, "replace", "margins", unit.code,
            sorted(result, key=lambda r: (r["variable"], r["category"])), note)
    return result


def _store_margins(session: Session, unit: Unit, rows: list[dict[str, Any]]) -> None:
    for margin in session.scalars(select(TownshipMargin).where(TownshipMargin.unit_id == unit.id)):
        session.delete(margin)
    session.flush()
    session.add_all(TownshipMargin(unit_id=unit.id, variable=r["variable"],
                                   category=r["category"], count=float(r["count"])) for r in rows)
    session.flush()


# -- imports -------------------------------------------------------------------------

def _parse_unit_row(number: int, row: dict[str, str], errors: RowErrors) -> dict[str, Any]:
    data: dict[str, Any] = {k: row.get(k, "") or None for k in UNIT_COLUMNS}
    for key in ("code", "name_zh", "name_en", "kind"):
        if not data[key]:
            errors.add(number, key, "is required")
    for key in ("active_from", "active_to"):
        if data[key]:
            try:
                data[key] = date.fromisoformat(data[key])
            except ValueError:
                errors.add(number, key, "must be a date YYYY-MM-DD")
                data[key] = None
    for key in ("lat", "lon"):
        try:
            data[key] = parse_number(data[key])
        except ValueError:
            errors.add(number, key, "must be a number")
            data[key] = None
    return data


def import_units(session: Session, table: Table, actor: str) -> dict[str, int]:
    """Create or update units from a sheet, all or nothing; raise ValidationFailed."""
    errors, groups = table.errors, _group_ids(session)
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_row: dict[str, int] = {}
    for number, row in table:
        data = _parse_unit_row(number, row, errors)
        if data["code"] in first_row:
            errors.add(number, "code", f"duplicate of row {first_row[data['code']]}")
        first_row.setdefault(data["code"], number)
        for column, reasons in _check_unit(data, groups).items():
            for reason in reasons:
                errors.add(number, column, reason)
        parsed.append((number, data))
    errors.raise_if_any("Unit import")
    existing = {u.code: u for u in session.scalars(select(Unit))}
    created = 0
    for _number, data in parsed:
        created += data["code"] not in existing
        _apply_unit(session, existing.get(data["code"]), data, groups, actor, "import")
    return {"rows": len(parsed), "created": created, "updated": len(parsed) - created}


def import_peer_groups(session: Session, table: Table, actor: str) -> dict[str, int]:
    errors = table.errors
    rows: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for number, row in table:
        for key in ("code", "name_zh", "name_en"):
            if not row.get(key):
                errors.add(number, key, "is required")
        if row["code"] in first_row:
            errors.add(number, "code", f"duplicate of row {first_row[row['code']]}")
        first_row.setdefault(row["code"], number)
        rows.append(row)
    errors.raise_if_any("Peer group import")
    existing = set(_group_ids(session))
    for row in rows:
        save_peer_group(session, {**row, "description": row.get("description", "")}, actor,
                        note="import")
    created = sum(r["code"] not in existing for r in rows)
    return {"rows": len(rows), "created": created, "updated": len(rows) - created}


def import_margins(session: Session, table: Table, actor: str) -> dict[str, int]:
    """Replace the margins of every township named in the sheet, all or nothing."""
    errors = table.errors
    units = {u.code: u for u in session.scalars(select(Unit))}
    by_unit: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in table:
        code = row.get("unit", "")
        unit = units.get(code)
        if unit is None:
            errors.add(number, "unit", f"unknown unit {code!r}")
        elif unit.kind != "township":
            errors.add(number, "unit", "margins are kept for townships only")
        data: dict[str, Any] = {"variable": row.get("variable", ""),
                                "category": row.get("category", "")}
        try:
            data["count"] = parse_number(row.get("count", ""))
        except ValueError:
            data["count"] = None
        for column, reasons in _check_margin(data).items():
            for reason in reasons:
                errors.add(number, column, reason)
        key = (code, data["variable"], data["category"])
        if key in seen:
            errors.add(number, "category", f"duplicate of row {seen[key]}")
        seen.setdefault(key, number)
        by_unit.setdefault(code, []).append(data)
    errors.raise_if_any("Margin import")
    for code, rows in by_unit.items():
        replace_margins(session, code, rows, actor, note="import")
    return {"rows": sum(len(r) for r in by_unit.values()), "units": len(by_unit)}
