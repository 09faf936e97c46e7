"""``kaoping score compute`` through services.cli.main."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml

from services.cli import main
from services.scoring.engine import Table, compute, from_document

SCHEME = {
    "missing": "reweight",
    "engine": {"advanced": {"share": 0.25}},
    "root": {
        "id": "total",
        "aggregation": "arithmetic",
        "weighting": {"method": "expert"},
        "children": [
            {
                "id": "sat",
                "source": "poll",
                "direction": "higher",
                "unit_of_measure": "rate",
                "weight": 0.5,
                "normalisation": {"method": "tscore"},
            },
            {
                "id": "insp",
                "source": "inspection",
                "direction": "higher",
                "unit_of_measure": "points",
                "weight": 0.3,
                "normalisation": {"method": "tscore"},
            },
            {
                "id": "late",
                "source": "self_check",
                "direction": "lower",
                "unit_of_measure": "days",
                "weight": 0.2,
                "normalisation": {"method": "tscore"},
            },
        ],
    },
}


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(9)
    rows = []
    for i in range(16):
        unit, group = f"T{i:02d}", "towns" if i < 8 else "depts"
        rows.append(
            {
                "unit": unit,
                "group": group,
                "indicator": "sat",
                "value": rng.uniform(0.6, 0.95),
                "se": rng.uniform(0.02, 0.06),
            }
        )
        rows.append(
            {
                "unit": unit,
                "group": group,
                "indicator": "insp",
                "value": rng.uniform(60, 95),
                "se": rng.uniform(1, 4),
            }
        )
        rows.append(
            {
                "unit": unit,
                "group": group,
                "indicator": "late",
                "value": rng.integers(0, 10),
                "se": "",
            }
        )
    values = tmp_path / "values.csv"
    with values.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=["unit", "group", "indicator", "value", "se"])
        writer.writeheader()
        writer.writerows(rows)
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(SCHEME), encoding="utf-8")
    return scheme, values, rows


def test_compute_prints_ranking_and_writes_json(files, tmp_path, capsys):
    scheme, values, rows = files
    out = tmp_path / "results.json"
    code = main(
        [
            "score",
            "compute",
            "--scheme",
            str(scheme),
            "--values",
            str(values),
            "--seed",
            "4",
            "--draws",
            "200",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "peer group depts" in printed and "peer group towns" in printed
    assert "90% interval" in printed and "P(adv)" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["seats"] == {"depts": 2, "towns": 2}
    # the same numbers as the engine called directly
    table = Table.from_rows(
        [{k: str(v) for k, v in r.items()} for r in rows], ["sat", "insp", "late"]
    )
    direct = compute(from_document(SCHEME), table, seed=4, draws=200)
    by_unit = {u["unit"]: u for u in data["units"]}
    for i, unit in enumerate(direct.units):
        assert by_unit[unit]["composite"] == pytest.approx(direct.composite[i], rel=1e-12)
        assert by_unit[unit]["p_advanced"] == direct.uncertainty.p_advanced[i]
        assert by_unit[unit]["rank_lo"] == direct.uncertainty.rank_lo[i]
    top = next(u for u in data["units"] if u["group"] == "towns" and u["rank"] == 1)
    assert f"   1 {top['unit']:<5}" in printed  # its row in the ranking table


def test_sensitivity_summary_is_printed(files, capsys):
    scheme, values, _ = files
    assert (
        main(
            [
                "score",
                "compute",
                "--scheme",
                str(scheme),
                "--values",
                str(values),
                "--draws",
                "0",
                "--sensitivity",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "normalisation=percentile" in printed and "weighting=entropy" in printed
    assert "normalisation=tscore" not in printed  # not among the alternatives


def test_compute_csv_is_reproducible(files, tmp_path):
    scheme, values, _ = files
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        assert (
            main(
                [
                    "score",
                    "compute",
                    "--scheme",
                    str(scheme),
                    "--values",
                    str(values),
                    "--seed",
                    "7",
                    "--draws",
                    "64",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    assert first.read_bytes() == second.read_bytes()
    header = first.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"unit", "group", "composite", "rank", "composite_lo", "rank_hi", "p_advanced"} <= set(
        header
    )


def test_bad_values_report_rows(files, tmp_path, capsys):
    scheme, _, _ = files
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,group,indicator,value\nT1,g,sat,abc\nT1,g,nosuch,1\n", encoding="utf-8")
    assert main(["score", "compute", "--scheme", str(scheme), "--values", str(bad)]) == 1
    err = capsys.readouterr().err
    # rows are the file's lines, as the service's imports count them: the header is row 1
    assert "'row 2'" in err and "'row 3'" in err and "nosuch" in err and "'row 1'" not in err
    missing = tmp_path / "missing.csv"
    missing.write_text("unit,indicator,value\n", encoding="utf-8")
    assert main(["score", "compute", "--scheme", str(scheme), "--values", str(missing)]) == 1
    assert "group" in capsys.readouterr().err


def test_bad_scheme_is_a_validation_error(files, tmp_path, capsys):
    _, values, _ = files
    scheme = tmp_path / "scheme.json"
    scheme.write_text(
        json.dumps({"root": {"id": "t", "children": [{"id": "x", "source": "rumour"}]}})
    )
    assert main(["score", "compute", "--scheme", str(scheme), "--values", str(values)]) == 1
    assert "source" in capsys.readouterr().err


def test_csv_export_defuses_formula_like_text(tmp_path):
    scheme = tmp_path / "scheme.json"
    scheme.write_text(json.dumps(SCHEME), encoding="utf-8")
    values = tmp_path / "values.csv"
    lines = ["unit,group,indicator,value"]
    for unit, v in (("=HYPERLINK(1)", 1), ("ok", 2), ("+A1", 3)):
        lines += [f"{unit},g,sat,{v}", f"{unit},g,insp,{v}", f"{unit},g,late,{v}"]
    values.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    assert (
        main(
            [
                "score",
                "compute",
                "--scheme",
                str(scheme),
                "--values",
                str(values),
                "--draws",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with out.open(encoding="utf-8") as fh:
        units = {row["unit"] for row in csv.DictReader(fh)}
    assert units == {"'=HYPERLINK(1)", "ok", "'+A1"}
