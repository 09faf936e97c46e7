"""A demo county like the one in DESIGN.md, generated deterministically from a seed.

12 townships (T01..T12) with age band × sex population margins, 106 county
departments in 10 peer groups, 20 major matters, 68 key tasks and 24 city projects
with monthly milestones for 2026, six months (2026-01..2026-06) of self-checks with
realistic variation (a few late, a few missing, a few corrected with a reason), key
task progress, direct indicator values, and a scheme that uses every source.

:func:`generate` is pure data; :func:`load_through_api` sends it through the HTTP
API's bulk imports (any client with ``post_json`` and ``upload``: see
:class:`ServiceClientLoader` and :class:`FlaskClientLoader`).
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from services.demo.county_tables import (
    AGE_BANDS,
    AGE_SHARES,
    CORRECTION_REASONS,
    DEPARTMENT_GROUPS,
    DIRECT_INDICATORS,
    LEADERS,
    SELF_CHECK_INDICATORS,
    TASK_COUNTS,
    TASK_PREFIX,
    TASK_TOPICS,
    TOWNSHIPS,
)

YEAR = 2026
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 7)]
TOWNSHIP_GROUP = "TS"


@dataclass
class County:
    """Everything the demo county consists of, as plain rows."""

    seed: int
    peer_groups: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    margins: list[dict[str, Any]] = field(default_factory=list)
    scheme: dict[str, Any] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    self_checks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    corrections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    direct_values: list[dict[str, Any]] = field(default_factory=list)

    @property
    def townships(self) -> list[str]:
        return [u["code"] for u in self.units if u["kind"] == "township"]


def generate(seed: int = 2026) -> County:
    """The whole demo county; the same seed gives the same county."""
    rng = random.Random(seed)
    county = County(seed)
    _registry(county, rng)
    county.scheme = scheme_document()
    _tasks(county, rng)
    _self_checks(county, rng)
    _direct_values(county, rng)
    return county


def _registry(county: County, rng: random.Random) -> None:
    county.peer_groups.append({"code": TOWNSHIP_GROUP, "name_zh": "乡镇", "name_en": "Townships",
                               "description": "All townships of the county"})
    for index, (zh, en) in enumerate(TOWNSHIPS, start=1):
        code = f"T{index:02d}"
        angle = 2 * math.pi * index / len(TOWNSHIPS)
        radius = 0.0 if index == 1 else rng.uniform(0.08, 0.3)
        county.units.append({
            "code": code, "name_zh": zh, "name_en": en, "kind": "township",
            "peer_group": TOWNSHIP_GROUP, "active_from": "2020-01-01", "active_to": None,
            "lat": round(30.52 + radius * math.sin(angle), 5),
            "lon": round(111.05 + radius * math.cos(angle), 5)})
        county.margins.extend(_margins(code, rng))
    number = 0
    for group, zh, en, departments in DEPARTMENT_GROUPS:
        county.peer_groups.append({"code": group, "name_zh": zh, "name_en": en,
                                   "description": f"{zh} / {en}"})
        for dept_zh, dept_en in departments:
            number += 1
            county.units.append({
                "code": f"D{number:03d}", "name_zh": dept_zh, "name_en": dept_en,
                "kind": "department", "peer_group": group, "active_from": "2020-01-01",
                "active_to": None, "lat": None, "lon": None})


def _margins(code: str, rng: random.Random) -> list[dict[str, Any]]:
    adults = rng.randint(18_000, 75_000)
    rows, by_age, by_sex = [], {}, {"F": 0, "M": 0}
    for band, share in zip(AGE_BANDS, AGE_SHARES, strict=True):
        band_total = round(adults * share * rng.uniform(0.9, 1.1))
        female = round(band_total * rng.uniform(0.47, 0.53 if band != "65+" else 0.57))
        for sex, count in (("F", female), ("M", band_total - female)):
            rows.append({"unit": code, "variable": "age_band*sex", "category": f"{band}*{sex}",
                         "count": count})
            by_sex[sex] += count
        by_age[band] = band_total
    rows += [{"unit": code, "variable": "age_band", "category": b, "count": c}
             for b, c in by_age.items()]
    rows += [{"unit": code, "variable": "sex", "category": s, "count": c}
             for s, c in by_sex.items()]
    return rows


def _ahp_matrix(weights: list[float]) -> list[list[float]]:
    """A perfectly consistent pairwise matrix a_ij = w_i / w_j (CR = 0)."""
    return [[round(wi / wj, 6) for wj in weights] for wi in weights]


def scheme_document() -> dict[str, Any]:
    """The demo county's scheme: every source, every weighting method, YAML-able."""
    def leaf(node_id, zh, en, source, direction, uom, **extra):
        return {"id": node_id, "name_zh": zh, "name_en": en, "source": source,
                "direction": direction, "unit_of_measure": uom, **extra}

    self_check_leaves = []
    for node_id, (zh, en, uom, _range, kinds) in SELF_CHECK_INDICATORS.items():
        extra: dict[str, Any] = {"normalisation": {"method": "tscore"}}
        if kinds:
            extra["kinds"] = kinds
        if node_id == "sc_target_completion":
            extra["transform"] = {"kind": "ratio", "numerator": "actual", "denominator": "target"}
        if node_id == "sc_investment":
            extra["transform"] = {"kind": "log"}
        if node_id == "sc_safety_incidents":
            extra["transform"] = {"kind": "cap", "value": 5}
        direction = "lower" if node_id == "sc_safety_incidents" else "higher"
        self_check_leaves.append(leaf(node_id, zh, en, "self_check", direction, uom, **extra))
    dimensions = [
        {"id": "satisfaction", "name_zh": "群众满意度", "name_en": "Residents' satisfaction",
         "children": [leaf("poll_satisfaction", "电话民调满意率", "Poll satisfaction rate", "poll",
                           "higher", "rate", statistic="satisfaction_rate", kinds=["township"],
                           normalisation={"method": "goalposts", "min": 0.5, "max": 1.0},
                           weight=1.0)]},
        {"id": "inspection", "name_zh": "督查检查", "name_en": "Spot checks",
         "children": [leaf("inspection_score", "督查平均得分", "Mean visit score", "inspection",
                           "higher", "points", statistic="mean",
                           normalisation={"method": "goalposts", "min": 60, "max": 100},
                           weight=1.0)]},
        {"id": "self_check", "name_zh": "日常工作自查", "name_en": "Self-checks",
         "weighting": {"method": "entropy"}, "children": self_check_leaves},
        {"id": "key_tasks", "name_zh": "重点任务推进", "name_en": "Key-task progress",
         "weighting": {"method": "equal"}, "aggregation": "geometric",
         "children": [leaf("kt_on_time", "节点按时完成率", "On-time milestone rate", "key_task",
                           "higher", "rate", metric="on_time_rate",
                           normalisation={"method": "goalposts", "min": 0, "max": 1}),
                      leaf("kt_lag", "进度滞后", "Progress lag", "key_task", "lower", "pp",
                           metric="progress_lag", normalisation={"method": "tscore"})]},
        {"id": "direct", "name_zh": "部门共享数据", "name_en": "Shared data",
         "weighting": {"method": "critic"},
         "children": [leaf(i, zh, en, "direct", "lower" if i == "dir_petitions" else "higher",
                           uom, normalisation={"method": "minmax", "winsorise": 0.05})
                      for i, (zh, en, uom) in DIRECT_INDICATORS.items()]},
    ]
    weights = [0.30, 0.20, 0.20, 0.20, 0.10]
    for dimension, weight in zip(dimensions, weights, strict=True):
        dimension["weight"] = weight
    overrides = [{"peer_group": group, "exclude": ["satisfaction", "sc_investment"]}
                 for group, *_rest in DEPARTMENT_GROUPS]
    overrides[7]["weights"] = {"kt_on_time": 0.5, "kt_lag": 0.5}
    return {
        "code": "county-2026", "name_zh": "2026年度综合考评方案",
        "name_en": "2026 comprehensive assessment scheme", "missing": "reweight",
        "root": {"id": "total", "name_zh": "综合得分", "name_en": "Composite score",
                 "aggregation": "arithmetic",
                 "weighting": {"method": "ahp", "matrix": _ahp_matrix(weights),
                               "ri_table": "saaty"},
                 "children": dimensions},
        "overrides": overrides,
    }


def _month_end(code: str) -> date:
    year, month = (int(p) for p in code.split("-"))
    return date(year, month, calendar.monthrange(year, month)[1])


def _tasks(county: County, rng: random.Random) -> None:
    units = [u["code"] for u in county.units]
    number = 0
    for category, count in TASK_COUNTS.items():
        topics = TASK_TOPICS[category]
        for index in range(count):
            number += 1
            zh, en = topics[index % len(topics)]
            unit = rng.choice(units)
            code = f"{TASK_PREFIX[category]}{index + 1:02d}"
            curve = rng.choice(("linear", "front", "back"))
            milestones = []
            for month in range(1, 13):
                share = month / 12
                share = {"linear": share, "front": share ** 0.8, "back": share ** 1.3}[curve]
                milestones.append({"seq": month, "title": f"{month}月节点 / month {month}",
                                   "due_on": _month_end(f"{YEAR}-{month:02d}") - timedelta(days=3),
                                   "planned_percent": round(100 * share, 1)})
            county.tasks.append({"code": code, "title_zh": f"{zh}（{index + 1}）",
                                 "title_en": f"{en} ({index + 1})", "category": category,
                                 "unit": unit, "leader": rng.choice(LEADERS), "cadence": "monthly",
                                 "milestones": milestones})
            county.progress.extend(_task_progress(code, milestones, rng))


def _task_progress(code: str, milestones: list[dict], rng: random.Random) -> list[dict]:
    """Monthly reports for January-June: most milestones on time, some late, a few open."""
    reliability = rng.uniform(0.6, 0.98)
    reports, reached = [], 0.0
    for milestone in milestones[:6]:
        due: date = milestone["due_on"]
        roll = rng.random()
        if roll < reliability:
            status, completed = "done", due - timedelta(days=rng.randint(0, 6))
            reached = milestone["planned_percent"]
        elif roll < reliability + (1 - reliability) * 0.6:
            status, completed = "done", due + timedelta(days=rng.randint(2, 20))
            reached = milestone["planned_percent"]
        else:
            status, completed = "delayed", None
            reached = max(reached, milestone["planned_percent"] - rng.uniform(3, 12))
        reports.append({"task": code, "milestone": milestone["seq"],
                        "as_of": _month_end(due.strftime("%Y-%m")).isoformat(),
                        "percent": round(min(100.0, reached), 1), "status": status,
                        "completed_on": completed.isoformat() if completed else "",
                        "narrative": "按计划推进" if status == "done" else "进度滞后，正在追赶",
                        "evidence": f"https://oa.example.gov.cn/tasks/{code}/{milestone['seq']}"})
    return reports


def _self_checks(county: County, rng: random.Random) -> None:
    quality = {u["code"]: rng.gauss(0, 1) for u in county.units}
    for month in MONTHS:
        deadline = datetime.combine(_month_end(month) + timedelta(days=10),
                                    datetime.min.time(), UTC) + timedelta(hours=15)
        rows: list[dict[str, Any]] = []
        for unit in county.units:
            if rng.random() < 0.02:
                continue  # this unit did not report this month
            late = rng.random() < 0.04
            offset = timedelta(days=rng.randint(1, 12)) if late else -timedelta(
                days=rng.randint(0, 9), hours=rng.randint(1, 8))
            submitted = (deadline + offset).isoformat()
            for indicator, (_zh, _en, uom, (low, high), kinds) in SELF_CHECK_INDICATORS.items():
                if kinds and unit["kind"] not in kinds:
                    continue
                rows.append(_self_check_row(unit["code"], indicator, uom, low, high,
                                            quality[unit["code"]], rng, submitted))
        county.self_checks[month] = rows
        picks = rng.sample(rows, 2 if month != MONTHS[-1] else 3)
        county.corrections[month] = [
            {**row, "actual": round(row["actual"] * rng.uniform(0.9, 1.1), 2),
             "reason": rng.choice(CORRECTION_REASONS),
             "submitted_at": (datetime.fromisoformat(row["submitted_at"])
                              + timedelta(days=rng.randint(3, 20))).isoformat()}
            for row in picks]


def _self_check_row(unit: str, indicator: str, uom: str, low: float, high: float,
                    quality: float, rng: random.Random, submitted: str) -> dict[str, Any]:
    if indicator == "sc_safety_incidents":
        target, actual = 0.0, float(max(0, round(rng.expovariate(2.5 + quality))))
    elif indicator == "sc_complaints_closed":
        target = 100.0
        actual = round(min(100.0, rng.gauss(96 + 1.5 * quality, 2.0)), 1)
    else:
        target = round(rng.uniform(low, high), 1)
        actual = round(max(0.0, target * rng.gauss(1.0 + 0.04 * quality, 0.06)), 2)
    narrative = "本月按计划完成" if actual >= target else "未完成原因：项目审批延后"
    return {"unit": unit, "indicator": indicator, "target": target, "actual": actual,
            "unit_of_measure": uom, "narrative": narrative,
            "evidence": f"https://oa.example.gov.cn/self-check/{unit}/{indicator}",
            "submitted_at": submitted}


def _direct_values(county: County, rng: random.Random) -> None:
    for unit in county.units:
        base_env, base_pet = rng.uniform(70, 95), rng.uniform(2, 15)
        for month in MONTHS:
            county.direct_values.append({
                "unit": unit["code"], "period": month, "indicator": "dir_env_quality",
                "value": round(base_env + rng.gauss(0, 2), 2),
                "source_label": "生态环境局监测平台"})
            county.direct_values.append({
                "unit": unit["code"], "period": month, "indicator": "dir_petitions",
                "value": round(max(0.0, base_pet + rng.gauss(0, 1.5)), 2),
                "source_label": "信访信息系统"})


# -- loading ---------------------------------------------------------------------------

def to_csv(columns: list[str], rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return buffer.getvalue().encode("utf-8")


class Loader(Protocol):
    def post_json(self, path: str, payload: Any) -> Any: ...

    def upload(self, path: str, filename: str, content: bytes) -> Any: ...


class ServiceClientLoader:
    """Loads through a running service with a :class:`shared.client.ServiceClient`."""

    def __init__(self, client) -> None:
        self.client = client

    def post_json(self, path: str, payload: Any) -> Any:
        return self.client.post_json(path, payload)

    def upload(self, path: str, filename: str, content: bytes) -> Any:
        return self.client.request("POST", path, files={"file": (filename, content)}).json()


class FlaskClientLoader:
    """Loads through a Flask test client; raises AssertionError on any error status."""

    def __init__(self, client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def _check(self, response):
        if response.status_code >= 400:
            raise AssertionError(f"{response.status_code}: {response.get_json()}")
        return response.get_json()

    def post_json(self, path: str, payload: Any) -> Any:
        return self._check(self.client.post(path, json=payload, headers=self.headers))

    def upload(self, path: str, filename: str, content: bytes) -> Any:
        return self._check(self.client.post(path, headers=self.headers,
                                            data={"file": (io.BytesIO(content), filename)},
                                            content_type="multipart/form-data"))


SELF_CHECK_UPLOAD = ["unit", "indicator", "target", "actual", "unit_of_measure", "narrative",
                     "evidence", "submitted_at"]


def load_through_api(county: County, loader: Loader, api: str = "/api/v1") -> dict[str, Any]:
    """Load the county with bulk imports (a planner or admin loader); return key ids."""
    loader.upload(f"{api}/peer-groups/import", "peer_groups.csv",
                  to_csv(["code", "name_zh", "name_en", "description"], county.peer_groups))
    loader.upload(f"{api}/units/import", "units.csv",
                  to_csv(["code", "name_zh", "name_en", "kind", "peer_group", "active_from",
                          "active_to", "lat", "lon"], county.units))
    loader.upload(f"{api}/margins/import", "margins.csv",
                  to_csv(["unit", "variable", "category", "count"], county.margins))
    loader.post_json(f"{api}/periods/year", {"year": YEAR})
    scheme = county.scheme
    loader.post_json(f"{api}/schemes", {"code": scheme["code"], "name_zh": scheme["name_zh"],
                                        "name_en": scheme["name_en"]})
    version = loader.post_json(f"{api}/schemes/{scheme['code']}/versions", scheme)
    task_rows = [{"task": t["code"], **{k: t[k] for k in ("title_zh", "title_en", "category",
                                                        "unit", "leader", "cadence")},
                  "milestone": m["seq"], "milestone_title": m["title"],
                  "due_on": m["due_on"].isoformat(), "planned_percent": m["planned_percent"]}
                 for t in county.tasks for m in t["milestones"]]
    loader.upload(f"{api}/key-tasks/import", "key_tasks.csv",
                  to_csv(["task", "title_zh", "title_en", "category", "unit", "leader", "cadence",
                          "milestone", "milestone_title", "due_on", "planned_percent"], task_rows))
    loader.upload(f"{api}/key-tasks/progress/import", "progress.csv",
                  to_csv(["task", "milestone", "as_of", "percent", "status", "completed_on",
                          "narrative", "evidence"], county.progress))
    results = {}
    for month in MONTHS:
        results[month] = loader.upload(f"{api}/self-checks/import?period={month}",
                                       f"self_checks_{month}.csv",
                                       to_csv(SELF_CHECK_UPLOAD, county.self_checks[month]))
        loader.upload(f"{api}/self-checks/import?period={month}", f"corrections_{month}.csv",
                      to_csv([*SELF_CHECK_UPLOAD, "reason"], county.corrections[month]))
    loader.upload(f"{api}/direct-values/import", "direct_values.csv",
                  to_csv(["unit", "period", "indicator", "value", "source_label"],
                         county.direct_values))
    return {"scheme_version_id": version["id"], "scheme": scheme["code"],
            "townships": county.townships, "self_checks": results}
