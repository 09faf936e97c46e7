"""Helpers for the scoring intake tests: a small registry, periods and scheme via the API."""

from __future__ import annotations

import io

import openpyxl

SC_HEADER = "unit,indicator,target,actual,unit_of_measure,narrative,evidence"
SCHEME = {
    "root": {"id": "root", "children": [
        {"id": "work", "weight": 0.6, "weighting": {"method": "equal"}, "children": [
            {"id": "sc_rate", "source": "self_check", "direction": "higher",
             "unit_of_measure": "%"},
            {"id": "sc_count", "source": "self_check", "direction": "lower",
             "unit_of_measure": "count"},
            {"id": "sc_delta", "source": "self_check", "direction": "higher",
             "unit_of_measure": "pp", "allow_negative": True, "kinds": ["township"]},
        ]},
        {"id": "tasks", "weight": 0.2, "source": "key_task", "metric": "on_time_rate",
         "direction": "higher", "unit_of_measure": "rate"},
        {"id": "dir_env", "weight": 0.2, "source": "direct", "direction": "higher",
         "unit_of_measure": "index"},
    ]},
}


def seed(client, auth, *, scheme: bool = True, year: bool = True) -> dict[str, str]:
    """Peer groups TS and G1, townships T01/T02, department D001, 2026 periods, a scheme."""
    headers = auth("planner")
    for code in ("TS", "G1"):
        _ok(client.post("/api/v1/peer-groups", headers=headers,
                        json={"code": code, "name_zh": f"组{code}", "name_en": f"Group {code}"}))
    for code, kind, group in (("T01", "township", "TS"), ("T02", "township", "TS"),
                              ("D001", "department", "G1")):
        _ok(client.post("/api/v1/units", headers=headers, json={
            "code": code, "name_zh": f"单位{code}", "name_en": f"Unit {code}", "kind": kind,
            "peer_group": group, "active_from": "2020-01-01"}))
    if year:
        _ok(client.post("/api/v1/periods/year", headers=headers, json={"year": 2026}))
    if scheme:
        _ok(client.post("/api/v1/schemes", headers=headers,
                        json={"code": "s", "name_zh": "方案", "name_en": "Scheme"}))
        _ok(client.post("/api/v1/schemes/s/versions", headers=headers, json=SCHEME))
    return headers


def _ok(response):
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def upload(client, path: str, headers: dict, content: bytes, filename: str = "data.csv"):
    return client.post(path, headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), filename)})


def xlsx(rows: list[list]) -> bytes:
    """A workbook whose first sheet holds ``rows``; text starting with '=' becomes a formula."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
