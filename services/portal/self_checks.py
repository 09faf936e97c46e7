"""A unit's monthly self-check through the scoring API: the month's sheet (indicators with
their unit of measure and accepted range, last month's and this month's values, every
version), submitting the month or a correction, and a spreadsheet upload of the month."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.portal.api_client import Apis
from shared.client import ServiceError


@dataclass
class Month:
    """What the self-check page of one unit and month shows."""

    unit: str
    period: str
    previous: str
    defined: bool
    state: str | None = None
    deadline: str | None = None
    indicators: list[dict[str, Any]] = field(default_factory=list)
    current: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_month: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def narratives(self) -> dict[str, str]:
        """The narrative of each current value."""
        return {v["indicator"]: v.get("narrative") or "" for v in self.history if v["current"]}

    def name(self, indicator: str, language: str) -> str:
        """The indicator's name in ``language`` (its id when the scheme gives none)."""
        key = "name_en" if language == "en" else "name_zh"
        found = next((i for i in self.indicators if i["id"] == indicator), {})
        return found.get(key) or indicator

    @property
    def corrected(self) -> list[dict[str, Any]]:
        """The versions of the values corrected at least once, oldest first."""
        changed = {v["indicator"] for v in self.history if v["version"] > 1}
        return [v for v in self.history if v["indicator"] in changed]


def previous_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def next_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def values(apis: Apis, unit: str, period: str) -> list[dict[str, Any]]:
    """The current values of ``unit`` in ``period`` (the API answers 403 for a unit
    person asking for another unit)."""
    return apis.scoring.get_json("/api/v1/self-checks", params={"unit": unit, "period": period})


def month(apis: Apis, unit: str, period: str) -> Month:
    """The month's sheet of ``unit``: the indicators its kind reports, the values of this
    month and the last, and every version of this month's values."""
    current = values(apis, unit, period)     # first: a 403 for another unit stops here
    sheet = Month(unit, period, previous_month(period), defined=True,
                  current={v["indicator"]: v for v in current})
    try:
        found = apis.scoring.get_json(f"/api/v1/periods/{period}")
        sheet.state, sheet.deadline = found.get("state"), found.get("deadline")
    except ServiceError as exc:
        if exc.upstream_status != 404:
            raise
        sheet.defined = False
    sheet.indicators = apis.scoring.get_json("/api/v1/self-checks/indicators",
                                             params={"unit": unit})
    sheet.last_month = {v["indicator"]: v for v in values(apis, unit, sheet.previous)}
    sheet.history = apis.scoring.get_json("/api/v1/self-checks/history",
                                          params={"unit": unit, "period": period})
    return sheet


def changed_items(sheet: Month, entered: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The items to send: each indicator with an actual value entered that is new or
    differs from the current version (target, actual or narrative)."""
    items, narratives = [], sheet.narratives
    for indicator in sheet.indicators:
        row = entered.get(indicator["id"])
        if not row or row.get("actual") is None:
            continue
        now = sheet.current.get(indicator["id"])
        stored = None if now is None else (now["actual"], now["target"],
                                            narratives.get(indicator["id"], ""))
        if stored == (row["actual"], row["target"], row.get("narrative") or ""):
            continue
        items.append({"indicator": indicator["id"], "actual": row["actual"],
                      "target": row["target"], "narrative": row.get("narrative") or "",
                      "unit_of_measure": indicator["unit_of_measure"]})
    return items


def submit_month(apis: Apis, unit: str, period: str, items: list[dict[str, Any]], reason: str,
                 key: str) -> dict[str, Any]:
    """Submit the month's new and corrected values at once (all or nothing); ``key`` (the
    form's UUID) makes a repeated post change nothing. A correction needs ``reason``.

    Raises ServiceError with the API's 422/409 errors per item (``items[i]``)."""
    body = {"unit": unit, "period": period, "reason": reason, "items": items}
    return apis.scoring.post_json("/api/v1/self-checks", body, idempotency_key=key)


def upload(apis: Apis, period: str, filename: str, content: bytes, reason: str,
           key: str) -> dict[str, Any]:
    """Upload the month as CSV or XLSX (all or nothing); ServiceError with the API's row
    errors (``{"row 3": {"actual": [...]}}``)."""
    return apis.scoring.request(
        "POST", "/api/v1/self-checks/import", params={"period": period, "reason": reason},
        files={"file": (filename, content)}, headers={"Idempotency-Key": key}).json()


def row_errors(errors: Any) -> list[tuple[str, str, str]]:
    """An import's ``errors`` as (row, column, reason) lines, rows in number order."""
    lines = []
    for row, columns in (errors or {}).items():
        for column, reasons in (columns.items() if isinstance(columns, dict)
                                else [("", columns)]):
            for reason in reasons if isinstance(reasons, list) else [reasons]:
                lines.append((row, column, str(reason)))

    def order(line):
        digits = "".join(ch for ch in line[0] if ch.isdigit())
        return (int(digits) if digits else 0, line[0], line[1])
    return sorted(lines, key=order)
