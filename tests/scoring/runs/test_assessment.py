"""A run's computation from its snapshot (pure)."""



def _leaf(node_id, **extra):
    return {"id": node_id, "source": "direct", "direction": "higher", "unit_of_measure": "",
            **extra}


DOCUMENT = {"missing": "reweight", "root": {"id": "total", "children": [_leaf("a")]}}


def test_a_flat_document_is_read_as_its_tree():
    from services.scoring.scheme_document import nested_document

    flat = {"missing": "reweight", "nodes": [
        {"id": "total", "weighting": {"method": "equal"}},
        {"id": "a", "parent": "total", **_leaf("a")},
        {"id": "b", "parent": "total", **_leaf("b")}]}
    nested = nested_document(flat)
    assert "nodes" not in nested and nested["missing"] == "reweight"
    assert [c["id"] for c in nested["root"]["children"]] == ["a", "b"]
    assert nested_document(DOCUMENT) is DOCUMENT


def test_a_runs_method_record_carries_warnings_and_absent_indicators():
    from services.scoring.assessment import compute_snapshot

    document = {"missing": "fail", "root": {"id": "total", "children": [
        _leaf("gdp", weight=0.5, transform={"kind": "log"},
              normalisation={"method": "goalposts", "min": 100, "max": 75000}),
        _leaf("c", weight=0.5),
        _leaf("sat", source="poll", weight=0.0)]}}
    units = [{"code": f"U{i}", "peer_group": "G1", "kind": "department"} for i in range(3)]
    rows = [[u["code"], "gdp", "", value, None] for u, value in
            zip(units, (900, 5e3, 4e4), strict=True)]
    rows += [[u["code"], "c", "", float(i), None] for i, u in enumerate(units)]
    snapshot = {"kind": "monthly", "period": "2026-06", "sources": {}, "units": units,
                "scheme_version": {"id": 1, "scheme": "s", "version": 1, "document": document},
                "segments": [{"role": "snapshot", "period": "2026-06", "rows": rows}]}
    method = compute_snapshot(snapshot, {"seed": 1, "draws": 0}).method
    assert method["final"]["engine"]["absent_indicators"] == ["sat"]
    assert method["final"]["pruned"] == ["sat"]
    assert len(method["warnings"]) == 1
    assert method["warnings"][0].startswith("2026-06: gdp: every value after the log transform "
                                            "lies outside the goalposts [100, 75000]")
    assert method["warnings"][0][len("2026-06: "):] in method["final"]["engine"]["warnings"]
