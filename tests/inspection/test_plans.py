"""Plans: targets by hand (a whole location or none) or by a stratified random draw that
can be re-checked from its recorded seed."""

from collections import Counter

import numpy as np

from services.inspection.plans import stratified_draw

FRAME = [{"unit": f"T{i:02d}", "stratum": "north" if i <= 6 else "south"} for i in range(1, 13)]


def test_draw_is_reproducible_from_the_recorded_seed():
    sizes = {"north": 2, "south": 3}
    assert stratified_draw(FRAME, sizes, 42) == stratified_draw(FRAME, sizes, 42)
    # Independent recomputation of the documented method.
    rng = np.random.default_rng(42)
    north = sorted(rng.choice(6, 2, replace=False))
    south = sorted(rng.choice(6, 3, replace=False))
    expected = [f"T{i + 1:02d}" for i in north] + [f"T{i + 7:02d}" for i in south]
    assert stratified_draw(FRAME, sizes, 42) == expected


def test_draw_covers_each_stratum_evenly_over_seeds():
    counts = Counter()
    for seed in range(600):
        counts.update(stratified_draw(FRAME, {"north": 2, "south": 3}, seed))
    # Inclusion probabilities 2/6 and 3/6: about 200 and 300 of 600 each.
    assert all(150 < counts[f"T{i:02d}"] < 250 for i in range(1, 7))
    assert all(250 < counts[f"T{i:02d}"] < 350 for i in range(7, 13))


def test_plan_with_draw_records_seed_and_rechecks(api, engines):
    template = api.checklist()
    plan = api.plan(template["id"], draw={"frame": FRAME, "sizes": {"north": 1, "south": 2}},
                    inspectors=["insp-a", "insp-b"])
    assert plan["selection"] == "stratified_random"
    seed = plan["draw"]["seed"]
    assert isinstance(seed, int)
    visits = api.visits(plan["id"])
    assert [v["unit"] for v in visits] == stratified_draw(FRAME, {"north": 1, "south": 2}, seed)
    assert [v["inspector"] for v in visits] == ["insp-a", "insp-b", "insp-a"]
    check = api.call("GET", f"/plans/{plan['id']}/draw-check")
    assert check["matches"] is True
    from sqlalchemy import text

    with engines["inspection"].begin() as connection:
        connection.execute(text("UPDATE visits SET unit_code = 'T99' WHERE id = :id"),
                           {"id": visits[0]["id"]})
    assert api.call("GET", f"/plans/{plan['id']}/draw-check")["matches"] is False


def test_given_seed_is_kept_and_oversized_stratum_is_422(api):
    template = api.checklist()
    plan = api.plan(template["id"], draw={"frame": FRAME, "per_stratum": 2, "seed": 7})
    assert plan["draw"]["seed"] == 7 and len(api.visits(plan["id"])) == 4
    errors = api.call("POST", "/plans", expect=422, json={
        "name": "x", "kind": "open", "template_id": template["id"], "window_from": "2026-06-01",
        "window_to": "2026-06-30", "inspectors": ["i"],
        "draw": {"frame": FRAME, "per_stratum": 7}})["errors"]
    assert "draw.sizes" in errors


def test_a_draw_that_selects_nothing_is_422(api):
    template = api.checklist()
    for draw in ({"frame": FRAME, "sizes": {}, "per_stratum": None},
                 {"frame": FRAME, "sizes": {"north": 0}}):
        errors = api.call("POST", "/plans", expect=422, json={
            "name": "x", "kind": "open", "template_id": template["id"],
            "window_from": "2026-06-01", "window_to": "2026-06-30", "inspectors": ["i"],
            "draw": draw})["errors"]
        assert errors == {"draw.sizes": ["the draw selects no unit"]}


def test_analyst_cannot_see_unannounced_plan_before_check_in(api):
    template = api.checklist()
    plan = api.plan(template["id"])
    api.call("GET", f"/plans/{plan['id']}", role="analyst", expect=404)


def test_draw_sizes_must_name_frame_strata_and_select_someone(api):
    """``"sizes": {}`` answered 500 on every try; sizes of strata not in the frame were
    ignored; a draw of nobody made a plan without visits."""
    template = api.checklist()
    body = {"name": "x", "kind": "unannounced", "template_id": template["id"],
            "window_from": "2026-06-01", "window_to": "2026-06-30", "inspectors": ["i"]}
    for draw, field, words in (
            ({"sizes": {}}, "draw.sizes", "selects no unit"),
            ({"sizes": {"north": 0, "south": 0}}, "draw.sizes", "selects no unit"),
            ({"sizes": {"north": 1, "west": 2}}, "draw.sizes", "'west' is not in the frame"),
            ({"per_stratum": 0}, "draw.per_stratum", "selects no unit"),
            ({"sizes": {"north": 1}, "per_stratum": 1}, "draw.sizes", "either")):
        errors = api.call("POST", "/plans", expect=422,
                          json={**body, "draw": {"frame": FRAME, **draw}})["errors"]
        assert words in " ".join(errors[field]), (draw, errors)
    assert api.call("GET", "/plans") == []


def test_target_with_half_a_location_is_refused(api):
    template = api.checklist()
    body = {"name": "p", "kind": "open", "template_id": template["id"],
            "window_from": "2026-06-01", "window_to": "2026-06-30", "inspectors": ["insp-a"]}
    errors = api.call("POST", "/plans", expect=422,
                      json={**body, "targets": [{"unit": "T09", "lat": 31.0}]})["errors"]
    assert "lon" in str(errors) and "targets" in str(errors)
    errors = api.call("POST", "/plans", expect=422, json={**body, "draw": {
        "frame": [{"unit": "T09", "stratum": "s", "lon": 121.0}], "per_stratum": 1}})["errors"]
    assert "lat" in str(errors) and "frame" in str(errors)


def test_a_retried_plan_is_made_once_with_its_draw(api):
    template = api.checklist()
    body = {"name": "p", "kind": "unannounced", "template_id": template["id"],
            "window_from": "2026-06-01", "window_to": "2026-06-30", "inspectors": ["insp-a"],
            "draw": {"frame": FRAME, "per_stratum": 1}}
    headers = {**api.auth("planner", None, None), "Idempotency-Key": "plan-retry-1"}
    first, again = (api.client.post("/api/v1/plans", json=body, headers=headers).get_json()
                    for _ in range(2))
    assert again["id"] == first["id"] and again["draw"]["seed"] == first["draw"]["seed"]
    assert len(api.call("GET", "/plans")) == 1
    assert len(api.visits(first["id"])) == 2
