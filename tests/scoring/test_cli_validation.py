"""``kaoping score compute`` accepts exactly the schemes ``POST /schemes`` accepts, reads
values as the service's imports do, and fails cleanly (issue 11, item 1)."""

from __future__ import annotations

import ast
import copy
import json

import pytest
import yaml

from services.cli import main

LEAVES = [
    {"id": "sat", "source": "poll", "direction": "higher", "unit_of_measure": "rate",
     "weight": 0.5},
    {"id": "insp", "source": "inspection", "direction": "higher", "unit_of_measure": "points",
     "weight": 0.3},
    {"id": "late", "source": "self_check", "direction": "lower", "unit_of_measure": "days",
     "weight": 0.2},
]
SCHEME = {"missing": "reweight", "root": {"id": "total", "children": LEAVES}}
VALUES = {"sat": (0.81, 0.62, 0.9, 0.7), "insp": (71, 88, 64, 90), "late": (3, 0, 7, 2)}


def flat(document: dict) -> dict:
    """The same document with its tree as ``nodes`` (each naming its parent)."""
    root = document["root"]
    nodes = [{k: v for k, v in root.items() if k != "children"}]
    nodes += [{**leaf, "parent": root["id"]} for leaf in root["children"]]
    return {**{k: v for k, v in document.items() if k != "root"}, "nodes": nodes}


@pytest.fixture
def values(tmp_path):
    path = tmp_path / "values.csv"
    lines = ["unit,group,indicator,value"]
    for indicator, numbers in VALUES.items():
        lines += [f"U{i},g,{indicator},{v}" for i, v in enumerate(numbers)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["score", "compute", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_refusal(capsys, tmp_path, document: dict, values) -> tuple[str, dict]:
    """The CLI's message and per-field errors for a scheme document."""
    scheme = tmp_path / "scheme.json"
    scheme.write_text(json.dumps(document), encoding="utf-8")
    code, out, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(values),
                             "--draws", "0")
    assert code == 1 and out == "", (out, err)
    message, details = err.splitlines()[:2]
    return message.removeprefix("kaoping: "), ast.literal_eval(details.split("details: ", 1)[1])


def service_refusal(client, auth, document: dict) -> tuple[str, dict]:
    response = client.post("/api/v1/schemes/validate", json=document, headers=auth("planner"))
    assert response.status_code == 422, response.json
    return response.json["message"], response.json["errors"]


def test_expert_weights_summing_to_0_9_are_refused_by_both_alike(
        capsys, tmp_path, values, scoring_client, auth):
    document = copy.deepcopy(SCHEME)
    document["root"]["children"][2]["weight"] = 0.1
    expected = ("Invalid scheme document",
                {"root.children": ["weights of sat, insp, late sum to 0.9, not 1"]})
    assert service_refusal(scoring_client, auth, document) == expected
    assert cli_refusal(capsys, tmp_path, document, values) == expected


@pytest.mark.parametrize("form", ["nested", "flat"])
def test_a_misspelt_key_is_refused_by_both_naming_path_and_close_match(
        form, capsys, tmp_path, values, scoring_client, auth):
    document = copy.deepcopy(SCHEME)
    document["root"]["children"][0]["normalization"] = {"method": "minmax"}
    document["engine"] = {"advanced": {"shares": 0.2}}
    if form == "flat":
        document = flat(document)
    path = "root.children[0]" if form == "nested" else "nodes[1]"
    expected = {f"{path}.normalization": ["unknown key 'normalization'; did you mean "
                                          "'normalisation'?"],
                "engine.advanced.shares": ["unknown key 'shares'; did you mean 'share'?"]}
    message, errors = service_refusal(scoring_client, auth, document)
    assert errors == expected
    assert cli_refusal(capsys, tmp_path, document, values) == (message, expected)


@pytest.mark.parametrize("form", ["nested", "flat"])
def test_all_zero_weights_name_the_node(form, capsys, tmp_path, values, scoring_client, auth):
    document = copy.deepcopy(SCHEME)
    for leaf in document["root"]["children"]:
        leaf["weight"] = 0
    if form == "flat":
        document = flat(document)
    message, errors = service_refusal(scoring_client, auth, document)
    path = "root.children" if form == "nested" else "nodes[0].children"
    assert errors == {path: ["weights of sat, insp, late are all 0: expert weighting of node "
                             "'total' needs weights that sum to 1"]}
    assert cli_refusal(capsys, tmp_path, document, values) == (message, errors)


def test_a_negative_weight_in_a_flat_document_is_reported_at_its_entry(
        capsys, tmp_path, values, scoring_client, auth):
    document = copy.deepcopy(SCHEME)
    document["root"]["children"][1]["weight"] = -0.3
    document["root"]["children"][2]["weight"] = 0.8
    document = flat(document)
    message, errors = cli_refusal(capsys, tmp_path, document, values)
    assert errors == {"nodes[2].weight": ["expert weighting needs a weight >= 0 on every child"]}
    assert (message, errors) == service_refusal(scoring_client, auth, document)


def test_out_into_a_missing_folder_is_refused_before_any_work(capsys, tmp_path, values):
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(SCHEME), encoding="utf-8")
    out = tmp_path / "no" / "such" / "results.csv"
    code, printed, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(values),
                                 "--out", str(out))
    assert code == 1 and printed == ""  # no ranking was computed or printed
    assert f"the folder {out.parent} does not exist" in err and "Traceback" not in err
    assert not out.parent.exists()
    for name in ("results.xlsx", "."):
        code, printed, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(values),
                                     "--out", str(tmp_path / name))
        assert code == 1 and printed == "" and "--out" in err


def test_values_rows_are_the_files_lines_as_in_the_service_imports(
        capsys, tmp_path, scoring_client, auth):
    from tests.scoring.scoring_intake_support import seed, upload

    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(SCHEME), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,group,indicator,value\nU1,g,sat,lots\n\nU2,g,sat,0.5\nU3,g,sat,x\n",
                   encoding="utf-8")
    code, _out, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(bad))
    details = ast.literal_eval(err.splitlines()[1].split("details: ", 1)[1])
    assert code == 1 and set(details) == {"row 2", "row 5"}  # header row 1, blank line 3
    headers = seed(scoring_client, auth)
    response = upload(scoring_client, "/api/v1/direct-values/import?source_label=x", headers,
                      b"unit,period,indicator,value\nT01,2026-06,dir_env,lots\n\n"
                      b"T02,2026-06,dir_env,1\nT01,2026-05,dir_env,x\n")
    assert response.status_code == 422 and set(response.json["errors"]) == {"row 2", "row 5"}


def test_numbers_with_separators_percent_and_missing_tokens_are_read(capsys, tmp_path):
    scheme = tmp_path / "scheme.yaml"
    document = copy.deepcopy(SCHEME)
    document["root"]["children"][2]["normalisation"] = {"method": "none"}
    scheme.write_text(yaml.safe_dump(document), encoding="utf-8")
    written = {"sat": ("81%", "62 %", "NA", "70%"), "insp": ("1,071", "1,088.5", "nan", "90"),
               "late": ("3", "N/A", "7", "")}
    plain = {"sat": (81, 62, None, 70), "insp": (1071, 1088.5, None, 90),
             "late": (3, None, 7, None)}
    results = {}
    for name, table in (("written", written), ("plain", plain)):
        values = tmp_path / f"{name}.csv"
        lines = ["unit,group,indicator,value"]
        for indicator, cells in table.items():
            lines += [f'U{i},g,{indicator},"{"" if v is None else v}"' for i, v in
                      enumerate(cells)]
        values.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = tmp_path / f"{name}.json"
        code, _printed, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(values),
                                      "--draws", "0", "--out", str(out))
        assert code == 0, err
        results[name] = json.loads(out.read_text(encoding="utf-8"))["units"]
    assert results["written"] == results["plain"]
    by_unit = {u["unit"]: u for u in results["written"]}
    assert by_unit["U1"]["indicators"]["insp"]["value"] == 1088.5
    assert by_unit["U0"]["indicators"]["sat"]["value"] == 81
    assert by_unit["U3"]["indicators"]["late"]["value"] is None  # missing, reweighted


def test_absent_indicators_are_pruned_and_recorded_as_a_run_does(capsys, tmp_path, values):
    document = copy.deepcopy(SCHEME)
    document["missing"] = "fail"
    document["root"]["children"].append(
        {"id": "tasks", "source": "key_task", "metric": "on_time_rate", "direction": "higher",
         "unit_of_measure": "rate", "weight": 0})
    document["root"]["children"][0]["weight"] = 0.5
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(document), encoding="utf-8")
    with values.open("a", encoding="utf-8") as fh:
        fh.write("U0,g,tasks,NA\n")  # a row, but no value: absent as much as no row
    out = tmp_path / "r.json"
    code, _printed, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(values),
                                  "--draws", "0", "--out", str(out))
    assert code == 0, err
    method = json.loads(out.read_text(encoding="utf-8"))["method"]
    assert method["absent_indicators"] == ["tasks"]
    assert "tasks" not in method["normalisation"]


def test_a_scheme_file_of_another_name_is_read_by_its_content(capsys, tmp_path, values):
    as_yaml = tmp_path / "scheme.txt"
    as_yaml.write_text(yaml.safe_dump(SCHEME), encoding="utf-8")
    assert run_cli(capsys, "--scheme", str(as_yaml), "--values", str(values),
                   "--draws", "0")[0] == 0
    as_json = tmp_path / "scheme.conf"
    as_json.write_text(json.dumps(SCHEME, indent=1), encoding="utf-8")
    assert run_cli(capsys, "--scheme", str(as_json), "--values", str(values),
                   "--draws", "0")[0] == 0
    broken_json = tmp_path / "broken.scheme"
    broken_json.write_text('{"missing": "reweight",\n "root": {"id": "t",,}}\n', encoding="utf-8")
    code, _out, err = run_cli(capsys, "--scheme", str(broken_json), "--values", str(values))
    assert code == 1 and "is not valid JSON" in err and f"{broken_json}, line 2" in err
    broken_yaml = tmp_path / "broken.txt"
    broken_yaml.write_text("missing: reweight\nroot:\n  id: t\n children: []\n", encoding="utf-8")
    code, _out, err = run_cli(capsys, "--scheme", str(broken_yaml), "--values", str(values))
    assert code == 1 and "is not valid YAML" in err and f"{broken_yaml}, line 4" in err


def test_help_documents_the_csv_columns(capsys):
    with pytest.raises(SystemExit) as leaving:
        main(["score", "compute", "--help"])
    assert leaving.value.code == 0
    shown = capsys.readouterr().out
    for column in ("score:NODE", "value:INDICATOR", "normalised:INDICATOR",
                   "contribution:INDICATOR", "composite_lo", "p_advanced", "missing"):
        assert column in shown
    assert "1,234.5" in shown and "NA" in shown and '"row 2"' in shown


def test_all_values_outside_log_goalposts_warn_on_screen_and_in_the_record(capsys, tmp_path):
    document = {"missing": "fail", "root": {"id": "total", "children": [
        {"id": "gdp", "source": "direct", "direction": "higher", "unit_of_measure": "yuan",
         "weight": 0.5, "transform": {"kind": "log"},
         "normalisation": {"method": "goalposts", "min": 100, "max": 75000}},
        {"id": "sat", "source": "poll", "direction": "higher", "unit_of_measure": "rate",
         "weight": 0.5, "normalisation": {"method": "goalposts", "min": 0.5, "max": 1}}]}}
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(document), encoding="utf-8")
    values = tmp_path / "values.csv"
    values.write_text("unit,group,indicator,value\n" + "".join(
        f"U{i},g,gdp,{gdp}\nU{i},g,sat,{sat}\n"
        for i, (gdp, sat) in enumerate([("1,200", 0.8), ("9,000", 0.7), ("60,000", 0.9)])),
        encoding="utf-8")
    out = tmp_path / "r.json"
    code, _printed, err = run_cli(capsys, "--scheme", str(scheme), "--values", str(values),
                                  "--draws", "0", "--out", str(out))
    assert code == 0
    warnings = json.loads(out.read_text(encoding="utf-8"))["method"]["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("gdp: every value after the log")
    assert "min: 4.605, max: 11.23" in warnings[0]
    assert f"kaoping: warning: {warnings[0]}" in err
