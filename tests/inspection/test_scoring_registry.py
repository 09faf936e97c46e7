"""The scoring service's registry over HTTP: unit locations (a whole one, or none) and
self-reported values; an unreachable registry gives None, so field work goes on."""

from flask import Flask, jsonify

from services.inspection.scoring_registry import ScoringRegistry
from tests.support import serving

KEY = "k" * 40


def test_unit_location_is_both_coordinates_or_none(registry_url):
    registry = ScoringRegistry(registry_url, KEY, 5)
    assert registry.unit_location("T01") == (30.0, 120.0)
    assert registry.unit_location("T03") is None  # no location registered
    assert registry.unit_location("T04") is None  # half a location
    assert registry.unit_location("T99") is None  # not in the registry (404)


def test_an_impossible_location_is_none():
    stub = Flask("scoring-stub")
    stub.get("/api/v1/units/<code>")(lambda code: jsonify({"code": code, "lat": 95,
                                                           "lon": 120}))
    with serving(stub) as url:
        assert ScoringRegistry(url, KEY, 5).unit_location("T01") is None


def test_self_reported_values_of_a_unit_and_month(registry_url):
    registry = ScoringRegistry(registry_url, KEY, 5)
    assert registry.self_reported_values("T02", "2026-06") == {
        "env.trees_area": 50.0, "sc_complaints_closed": 95.0}
    assert registry.self_reported_values("T02", "2026-07") == {}


def test_an_unreachable_registry_gives_none():
    registry = ScoringRegistry("http://127.0.0.1:9", KEY, 0.5)
    assert registry.unit_location("T01") is None
    assert registry.self_reported_values("T01", "2026-06") is None
