"""Checklist templates: create a new version, read, and the scoring rules of its items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.inspection.models.checklists import ChecklistItem, ChecklistTemplate
from services.inspection.scores import RULE_VERSION, ItemRule
from shared.db import get_or_404
from shared.errors import Problems


def _check_item(problems: Problems, index: int, item: dict[str, Any]) -> None:
    where = f"items.{index}"
    kind = item["response_type"]
    if kind == "points" and not item.get("max_points"):
        problems.add(f"{where}.max_points", "required for a points item")
    if kind == "measurement":
        if not item.get("unit_of_measure"):
            problems.add(f"{where}.unit_of_measure", "required for a measurement item")
        if item.get("tolerance") is None:
            problems.add(f"{where}.tolerance", "required for a measurement item")
    if kind == "text" and item.get("critical"):
        problems.add(f"{where}.critical", "a text item is not scored and cannot be critical")


def validate_template(data: dict[str, Any]) -> None:
    """Raise ValidationFailed (422) listing every problem with the items, by field."""
    problems = Problems()
    seen: set[str] = set()
    for index, item in enumerate(data["items"]):
        _check_item(problems, index, item)
        if item["item_id"] in seen:
            problems.add(f"items.{index}.item_id", f"duplicate item id {item['item_id']!r}")
        seen.add(item["item_id"])
    problems.raise_if_any("Checklist is not valid")


def create_template(session: Session, data: dict[str, Any], author: str) -> ChecklistTemplate:
    """Add the next version of the checklist ``code`` (version 1 when new); raise
    ValidationFailed (422) naming each bad item field."""
    validate_template(data)
    latest = session.scalar(select(func.max(ChecklistTemplate.version))
                            .where(ChecklistTemplate.code == data["code"]))
    template = ChecklistTemplate(
        code=data["code"], version=(latest or 0) + 1, name_zh=data["name_zh"],
        name_en=data["name_en"], critical_cap=data["critical_cap"],
        scoring_rule_version=RULE_VERSION, created_by=author)
    for position, item in enumerate(data["items"]):
        if item["response_type"] == "measurement":
            item = {**item, "tolerance_kind": item.get("tolerance_kind") or "absolute"}
        template.items.append(ChecklistItem(position=position, **item))
    session.add(template)
    session.flush()
    return template


def get_template(session: Session, template_id: int) -> ChecklistTemplate:
    """One version of a checklist; NotFound (404) when there is none."""
    return get_or_404(session, ChecklistTemplate, template_id, name="Checklist")


def list_templates(session: Session, code: str | None = None) -> list[ChecklistTemplate]:
    """Every version of every checklist (or of ``code``), by code, then version."""
    templates = select(ChecklistTemplate)
    if code:
        templates = templates.where(ChecklistTemplate.code == code)
    return list(session.scalars(templates.order_by(ChecklistTemplate.code,
                                                   ChecklistTemplate.version)))


@dataclass(frozen=True)
class TemplateRules:
    """What scoring and validation need from a template, detached from the session."""

    template_id: int
    critical_cap: float
    rules: tuple[ItemRule, ...]
    photo_required: frozenset[str]
    units: dict[str, str | None]


def rules_for(session: Session, template_id: int) -> TemplateRules:
    """The template's scoring rules; templates never change, so the app keeps them
    (per app: ids are per database). NotFound (404) for an unknown template."""
    cache = current_app.extensions.setdefault("inspection_templates", {})
    if template_id not in cache:
        template = get_template(session, template_id)
        items = template.items
        cache[template_id] = TemplateRules(
            template_id, template.critical_cap,
            tuple(ItemRule(i.item_id, i.weight, i.response_type, i.max_points, i.tolerance,
                           i.tolerance_kind, i.critical) for i in items),
            frozenset(i.item_id for i in items if i.photo_required),
            {i.item_id: i.unit_of_measure for i in items})
    return cache[template_id]
