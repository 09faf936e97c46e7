"""The demo county generator and loading it through the API's bulk imports."""

from collections import Counter

import pytest

from services.demo.county import FlaskClientLoader, generate, load_through_api


def test_generator_is_deterministic_and_has_the_county_shape():
    county = generate(7)
    assert generate(7) == county
    assert generate(8).self_checks != county.self_checks
    kinds = Counter(u["kind"] for u in county.units)
    assert kinds == {"township": 12, "department": 106}
    assert county.townships == [f"T{i:02d}" for i in range(1, 13)]
    groups = {u["peer_group"] for u in county.units if u["kind"] == "department"}
    assert len(groups) == 10
    assert Counter(t["category"] for t in county.tasks) == {
        "major_matter": 20, "key_task": 68, "city_project": 24}
    assert all(len(t["milestones"]) == 12 for t in county.tasks)
    assert sorted(county.self_checks) == [f"2026-{m:02d}" for m in range(1, 7)]
    sources = {leaf["source"] for leaf in _leaves(county.scheme["root"])}
    assert sources == {"poll", "inspection", "self_check", "key_task", "direct"}
    t01 = [m for m in county.margins if m["unit"] == "T01" and m["variable"] == "age_band*sex"]
    assert {m["category"] for m in t01} >= {"18-34*F", "65+*M"} and len(t01) == 8
    joint = sum(m["count"] for m in t01)
    assert joint == sum(m["count"] for m in county.margins
                        if m["unit"] == "T01" and m["variable"] == "sex")


def _leaves(node):
    if "children" not in node:
        return [node]
    return [leaf for child in node["children"] for leaf in _leaves(child)]


@pytest.fixture
def loaded(scoring_client, auth):
    county = generate()
    result = load_through_api(county, FlaskClientLoader(scoring_client, auth("planner")))
    return county, result


def test_the_county_loads_through_the_api(loaded, scoring_client, auth):
    county, result = loaded
    headers = auth("analyst")
    units = scoring_client.get("/api/v1/units", headers=headers).json
    assert len(units) == 118
    townships = scoring_client.get("/api/v1/units?kind=township&active=true",
                                   headers=headers).json
    assert [u["code"] for u in townships] == county.townships
    assert townships[0]["name_zh"] == "城关镇" and townships[0]["lat"] is not None
    margins = scoring_client.get("/api/v1/margins?unit=T03", headers=headers).json
    assert {"unit": "T03", "variable": "age_band*sex", "category": "18-34*F"}.items() <= \
        margins[0].items() or any(m["category"] == "18-34*F" for m in margins)
    version = scoring_client.get(f"/api/v1/scheme-versions/{result['scheme_version_id']}",
                                 headers=headers).json
    assert version["frozen"] is False and version["document"]["root"]["id"] == "total"
    expected = len(county.self_checks["2026-03"])
    assert result["self_checks"]["2026-03"]["values"] == expected
    late = sum(1 for r in county.self_checks["2026-03"]
               if r["submitted_at"] > "2026-04-10T15:59:59")
    assert result["self_checks"]["2026-03"]["late"] == late
    rows = scoring_client.get("/api/v1/self-checks?period=2026-03", headers=headers).json
    assert len(rows) == expected
    corrected = county.corrections["2026-03"][0]
    current = [r for r in rows if r["unit"] == corrected["unit"]
               and r["indicator"] == corrected["indicator"]]
    assert current[0]["version"] == 2 and current[0]["actual"] == corrected["actual"]
