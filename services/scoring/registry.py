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
from sqlalchemy.orm import Session, contains_eager

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
from services.scoring.spreadsheets import Sheet, read_table, refuse
from shared.config import county_today
from shared.db import utcnow
from shared.errors import Conflict, NotFound, Problems
from shared.numbers import parse_number

UNIT_COLUMNS = ("code", "name_zh", "name_en", "kind", "peer_group", "active_from", "active_to",
                "lat", "lon")
UNIT_REQUIRED = UNIT_COLUMNS[:4]
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

def _peer_group_state(group: PeerGroup) -> dict[str, Any]:
    """A peer group as the change log records it."""
    return {"code": group.code, "name_zh": group.name_zh, "name_en": group.name_en,
            "description": group.description}


def list_peer_groups(session: Session) -> list[PeerGroup]:
    return list(session.scalars(select(PeerGroup).order_by(PeerGroup.code)))


def _by_code(session: Session, model, code: str, name: str):
    found = session.scalar(select(model).where(model.code == code))
    if found is None:
        raise NotFound(f"{name} {code!r} not found")
    return found


def get_peer_group(session: Session, code: str) -> PeerGroup:
    """Raise NotFound for an unknown code."""
    return _by_code(session, PeerGroup, code, "Peer group")


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
    _record(session, actor, action, "peer_group", group.code, _peer_group_state(group), note)
    return group


def update_peer_group(session: Session, code: str, data: dict[str, Any],
                      actor: str) -> PeerGroup:
    """Change the given fields of a peer group; NotFound for an unknown code."""
    group = get_peer_group(session, code)
    return save_peer_group(session, {**_peer_group_state(group), **data}, actor)


def peer_group_sheet(session: Session) -> Sheet:
    """Every peer group as a sheet (the import's columns)."""
    return "peer_groups", PEER_GROUP_COLUMNS, [[g.code, g.name_zh, g.name_en, g.description]
                                               for g in list_peer_groups(session)]


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

def _unit_state(unit: Unit) -> dict[str, Any]:
    """A unit as the change log records it (and the export writes it)."""
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
        day = on or county_today()
        units = [u for u in units if u.is_active_on(day) == active]
    return units


def unit_sheet(session: Session) -> Sheet:
    """Every unit as a sheet (the import's columns)."""
    return "units", UNIT_COLUMNS, [[_unit_state(u)[c] for c in UNIT_COLUMNS]
                                   for u in list_units(session)]


def get_unit(session: Session, code: str) -> Unit:
    """Raise NotFound for an unknown code."""
    return _by_code(session, Unit, code, "Unit")


def _check_unit(data: dict[str, Any], groups: dict[str, int], add) -> None:
    """Report each problem of a unit as ``add(field, reason)``."""
    if data.get("kind") not in UNIT_KINDS:
        add("kind", f"must be one of {', '.join(UNIT_KINDS)}")
    group = data.get("peer_group")
    if group and group not in groups:
        add("peer_group", f"unknown peer group {group!r}")
    start, end = data.get("active_from"), data.get("active_to")
    if start and end and end < start:
        add("active_to", "is before active_from")
    for field, bound in (("lat", 90), ("lon", 180)):
        value = data.get(field)
        if value is not None and not -bound <= value <= bound:
            add(field, f"must be within ±{bound}")
    if (data.get("lat") is None) != (data.get("lon") is None):
        add("lat", "give both lat and lon, or neither")


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
    problems = Problems()
    _check_unit(data, groups, problems.add)
    problems.raise_if_any("Invalid unit")
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
    _record(session, actor, action, "unit", unit.code, _unit_state(unit), note)
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

def list_margins(session: Session, unit: str | None = None) -> list[TownshipMargin]:
    """Margins by unit code, variable and category; NotFound for an unknown ``unit``."""
    query = (select(TownshipMargin).join(Unit, TownshipMargin.unit_id == Unit.id)
             .options(contains_eager(TownshipMargin.unit))
             .order_by(Unit.code, TownshipMargin.variable, TownshipMargin.category))
    if unit:
        get_unit(session, unit)
        query = query.where(Unit.code == unit)
    return list(session.scalars(query))


def margin_sheet(session: Session) -> Sheet:
    """Every township's margins as a sheet (the import's columns)."""
    return "margins", MARGIN_COLUMNS, [[m.unit_code, m.variable, m.category, m.count]
                                       for m in list_margins(session)]


def _check_margin(row: dict[str, Any], add) -> None:
    """Report each problem of a margin row as ``add(column, reason)``."""
    variable, category = row.get("variable") or "", row.get("category") or ""
    if not variable:
        add("variable", "is required")
    if variable.count("*") != category.count("*"):
        add("category", f"a joint margin {variable!r} needs {variable.count('*') + 1} "
                        "parts joined by '*'")
    elif not category:
        add("category", "is required")
    count = row.get("count")
    if count is None or count < 0:
        add("count", "must be a number >= 0")


def replace_margins(session: Session, unit_code: str, rows: list[dict[str, Any]], actor: str,
                    note: str = "") -> list[TownshipMargin]:
    """Replace all margins of a township; raise ValidationFailed listing bad rows."""
    unit = get_unit(session, unit_code)
    problems = Problems()
    if unit.kind != "township":
        problems.add("unit", "margins are kept for townships only")
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        where = f"margins[{index}]"
        _check_margin(row, lambda column, reason, where=where: problems.add_row(where, column,
                                                                                 reason))
        key = (row.get("variable"), row.get("category"))
        if key in seen:
            problems.add_row(where, "category", "duplicate variable and category")
        seen.add(key)
    problems.raise_if_any("Invalid margins")
    for margin in session.scalars(select(TownshipMargin).where(TownshipMargin.unit_id == unit.id)):
        session.delete(margin)
    session.flush()
    margins = [TownshipMargin(unit=unit, variable=r["variable"], category=r["category"],
                              count=float(r["count"])) for r in rows]
    session.add_all(margins)
    session.flush()
    state = [{"unit": unit.code, "variable": m.variable, "category": m.category,
              "count": m.count} for m in margins]
    _record(session, actor, "replace", "margins", unit.code,
            sorted(state, key=lambda r: (r["variable"], r["category"])), note)
    return margins


# -- imports -------------------------------------------------------------------------

def _parse_unit_row(number: int, row: dict[str, str], errors: Problems) -> dict[str, Any]:
    data: dict[str, Any] = {k: row.get(k, "") or None for k in UNIT_COLUMNS}
    for key in ("code", "name_zh", "name_en", "kind"):
        if not data[key]:
            errors.add_row(number, key, "is required")
    for key in ("active_from", "active_to"):
        if data[key]:
            try:
                data[key] = date.fromisoformat(data[key])
            except ValueError:
                errors.add_row(number, key, "must be a date YYYY-MM-DD")
                data[key] = None
    for key in ("lat", "lon"):
        try:
            data[key] = parse_number(data[key])
        except ValueError:
            errors.add_row(number, key, "must be a number")
            data[key] = None
    return data


def import_units(session: Session, filename: str, content: bytes, actor: str) -> dict[str, int]:
    """Create or update units from a CSV/XLSX sheet (``UNIT_COLUMNS``, the first four
    required), all or nothing; raise ValidationFailed listing rows and columns."""
    table = read_table(filename, content, UNIT_REQUIRED, UNIT_COLUMNS[4:])
    errors, groups = table.errors, _group_ids(session)
    parsed: list[tuple[int, dict[str, Any]]] = []
    first_row: dict[str, int] = {}
    for number, row in table:
        data = _parse_unit_row(number, row, errors)
        if data["code"] in first_row:
            errors.add_row(number, "code", f"duplicate of row {first_row[data['code']]}")
        first_row.setdefault(data["code"], number)
        _check_unit(data, groups, lambda c, r, n=number: errors.add_row(n, c, r))
        parsed.append((number, data))
    refuse(errors, "Unit import")
    existing = {u.code: u for u in session.scalars(select(Unit))}
    created = 0
    for _number, data in parsed:
        created += data["code"] not in existing
        _apply_unit(session, existing.get(data["code"]), data, groups, actor, "import")
    return {"rows": len(parsed), "created": created, "updated": len(parsed) - created}


def import_peer_groups(session: Session, filename: str, content: bytes,
                       actor: str) -> dict[str, int]:
    """Create or update peer groups from a CSV/XLSX sheet (``PEER_GROUP_COLUMNS``, the
    description optional), all or nothing."""
    table = read_table(filename, content, PEER_GROUP_COLUMNS[:3], PEER_GROUP_COLUMNS[3:])
    errors = table.errors
    rows: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for number, row in table:
        for key in ("code", "name_zh", "name_en"):
            if not row.get(key):
                errors.add_row(number, key, "is required")
        if row["code"] in first_row:
            errors.add_row(number, "code", f"duplicate of row {first_row[row['code']]}")
        first_row.setdefault(row["code"], number)
        rows.append(row)
    refuse(errors, "Peer group import")
    existing = set(_group_ids(session))
    for row in rows:
        save_peer_group(session, {**row, "description": row.get("description", "")}, actor,
                        note="import")
    created = sum(r["code"] not in existing for r in rows)
    return {"rows": len(rows), "created": created, "updated": len(rows) - created}


def import_margins(session: Session, filename: str, content: bytes,
                   actor: str) -> dict[str, int]:
    """Replace the margins of every township named in a CSV/XLSX sheet
    (``MARGIN_COLUMNS``), all or nothing."""
    table = read_table(filename, content, MARGIN_COLUMNS)
    errors = table.errors
    units = {u.code: u for u in session.scalars(select(Unit))}
    by_unit: dict[str, list[dict[str, Any]]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in table:
        code = row.get("unit", "")
        unit = units.get(code)
        if unit is None:
            errors.add_row(number, "unit", f"unknown unit {code!r}")
        elif unit.kind != "township":
            errors.add_row(number, "unit", "margins are kept for townships only")
        data: dict[str, Any] = {"variable": row.get("variable", ""),
                                "category": row.get("category", "")}
        try:
            data["count"] = parse_number(row.get("count", ""))
        except ValueError:
            data["count"] = None
        _check_margin(data, lambda c, r, n=number: errors.add_row(n, c, r))
        key = (code, data["variable"], data["category"])
        if key in seen:
            errors.add_row(number, "category", f"duplicate of row {seen[key]}")
        seen.setdefault(key, number)
        by_unit.setdefault(code, []).append(data)
    refuse(errors, "Margin import")
    for code, rows in by_unit.items():
        replace_margins(session, code, rows, actor, note="import")
    return {"rows": sum(len(r) for r in by_unit.values()), "units": len(by_unit)}
