"""XLSForm workbooks through the survey and inspection APIs, as the signed-in planner:
the questionnaires and checklists there are, an upload (a new version), a download, and
the 422's cell names (``"survey!B7 (type)"``) as rows a person reads."""

from __future__ import annotations

import re
from typing import Any

from services.portal.api_client import Apis
from shared.client import ServiceClient
from shared.xlsform import XLSX_MIME

KINDS = ("questionnaire", "checklist")
PATHS = {"questionnaire": "/api/v1/questionnaires", "checklist": "/api/v1/checklists"}
CELL = re.compile(r"^(?P<sheet>[A-Za-z_]+)(?:!(?P<column>[A-Z]+)(?P<row>\d+))?"
                  r"(?: \((?P<header>.*)\))?$")
SHEETS = ("settings", "survey", "choices")


def _client(apis: Apis, kind: str) -> ServiceClient:
    return apis.survey if kind == "questionnaire" else apis.inspection


def versions(apis: Apis) -> dict[str, list[dict[str, Any]]]:
    """``{"questionnaire": [...], "checklist": [...]}``: every version, newest first."""
    return {kind: sorted(_client(apis, kind).get_json(PATHS[kind]),
                         key=lambda v: (v["code"], -v["version"]))
            for kind in KINDS}


def upload(apis: Apis, kind: str, filename: str, content: bytes, key: str) -> dict[str, Any]:
    """Import a workbook as the next version; ``key`` makes a repeated post import once.

    Raises ServiceError (422 with the cells' problems)."""
    response = _client(apis, kind).request(
        "POST", f"{PATHS[kind]}/xlsform", headers={"Idempotency-Key": key},
        files={"file": (filename or "form.xlsx", content, XLSX_MIME)})
    return response.json()


def download(apis: Apis, kind: str, version_id: int) -> tuple[str, bytes]:
    """``(file name, XLSX)`` of a version; ServiceError 422 when XLSForm cannot carry it."""
    response = _client(apis, kind).request("GET", f"{PATHS[kind]}/{version_id}/xlsform")
    found = re.search(r'filename="([^"]+)"', response.headers.get("Content-Disposition", ""))
    return (found.group(1) if found else f"{kind}-{version_id}.xlsx"), response.content


def cell_problems(errors: Any) -> list[dict[str, Any]]:
    """The 422's ``errors`` as rows ``{"sheet", "cell", "row", "header", "reasons"}`` in
    the order of the sheets and their rows; a key that names no cell keeps its text."""
    rows = []
    for key, reasons in (errors or {}).items():
        found = CELL.match(key)
        texts = reasons if isinstance(reasons, list) else [str(reasons)]
        if not found:
            rows.append({"sheet": "", "cell": "", "row": 0, "header": key, "reasons": texts})
            continue
        cell = f"{found['column']}{found['row']}" if found["row"] else ""
        rows.append({"sheet": found["sheet"], "cell": cell, "row": int(found["row"] or 0),
                     "header": found["header"] or "", "reasons": texts})
    order = {name: i for i, name in enumerate(SHEETS)}
    return sorted(rows, key=lambda r: (order.get(r["sheet"], len(SHEETS)), r["row"]))
