"""The assessment scheme document: its shape, validation with precise errors, its tree.

A document (JSON or YAML) holds the indicator tree either nested (``root`` with
``children``) or flat (``nodes``, each naming its ``parent``), plus per-peer-group
``overrides``. :func:`validate_document` collects every problem with the path of the
offending field (``root.children[1].weight``, ``nodes[4].parent``,
``overrides[0].weights.I3``) and raises one ValidationFailed, refusing also any key
without meaning where it stands (:mod:`services.scoring.scheme_keys`); the service's
intake and ``kaoping score compute`` both call it. :func:`scheme_tree` returns the
nested form that the engine reads. See docs/scoring-intake.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from services.scoring.engine.weights import RI_TABLES
from services.scoring.models.registry import UNIT_KINDS
from services.scoring.scheme_keys import SOURCES, check_engine, check_keys
from shared.errors import Problems, ValidationFailed

DIRECTIONS = ("higher", "lower")
AGGREGATIONS = ("arithmetic", "geometric")
WEIGHTINGS = ("expert", "equal", "ahp", "entropy", "critic")
# Names and the aliases the engine also reads (services/scoring/engine/scheme.py).
NORMALISATIONS = ("zscore", "tscore", "robust_z", "minmax", "goalposts", "percentile", "none",
                  "z", "z_score", "t", "t_score", "robust", "min_max", "percentile_rank")
Z_NORMALISATIONS = ("zscore", "z", "z_score", "robust_z", "robust")
NORMALISATION_SCOPES = ("group", "all")
TRANSFORMS = ("log", "cap", "ratio")
MISSING_POLICIES = ("fail", "impute_group_mean", "impute_group_median", "reweight",
                    "impute_mean", "impute_median", "re-weight")
POLL_STATISTICS = ("satisfaction_rate", "proportion", "mean")
INSPECTION_STATISTICS = ("mean",)
KEY_TASK_METRICS = ("on_time_rate", "progress_lag")
INSTRUCTION_METRICS = ("on_time_closure_rate",)
SELF_CHECK_FIELDS = ("actual", "target")
SHRINKAGE = ("REML", "ML", "none")
WEIGHT_TOLERANCE = 1e-6
RECIPROCAL_TOLERANCE = 0.01
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _objects(items: list, name: str, err: Problems) -> Iterator[tuple[str, dict]]:
    """``(path, item)`` of the items that are objects; the others are reported."""
    for index, item in enumerate(items):
        path = f"{name}[{index}]"
        if isinstance(item, dict):
            yield path, item
        else:
            err.add(path, "must be an object")


def _nested_from_flat(nodes: Any, err: Problems) -> tuple[dict | None, dict[str, str]]:
    """Build the nested tree from ``nodes``; report unknown parents, roots and cycles."""
    if not isinstance(nodes, list) or not nodes:
        err.add("nodes", "must be a non-empty list")
        return None, {}
    by_id: dict[str, dict] = {}
    paths: dict[str, str] = {}
    for path, node in _objects(nodes, "nodes", err):
        node_id = node.get("id")
        if not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
            err.add(f"{path}.id", "must be 1-80 letters, digits, '_', '.', '-'")
            continue
        if node_id in by_id:
            err.add(f"{path}.id", f"duplicate id {node_id!r} (first at {paths[node_id]})")
            continue
        by_id[node_id] = {k: v for k, v in node.items() if k != "parent"}
        paths[node_id] = path
    roots = [n.get("id") for n in nodes if isinstance(n, dict) and n.get("parent") in (None, "")]
    if len(roots) != 1:
        err.add("nodes", f"needs exactly one root (a node without parent), found {len(roots)}")
    children: dict[str, list[str]] = {}
    for node in nodes:
        if not isinstance(node, dict) or node.get("id") not in by_id:
            continue
        parent = node.get("parent")
        if parent in (None, ""):
            continue
        if parent not in by_id:
            err.add(f"{paths[node['id']]}.parent", f"unknown parent {parent!r}")
            continue
        children.setdefault(parent, []).append(node["id"])
    reached: set[str] = set()

    def build(node_id: str) -> dict:
        reached.add(node_id)
        built = dict(by_id[node_id])
        if node_id in children:
            built["children"] = [build(c) for c in children[node_id]]
        return built

    root = build(roots[0]) if len(roots) == 1 and roots[0] in by_id else None
    parent_of = {n["id"]: n.get("parent") for n in nodes
                 if isinstance(n, dict) and n.get("id") in by_id}
    for node_id in by_id:
        chain: list[str] = []
        current = node_id
        while current in by_id and current not in chain and current not in reached:
            chain.append(current)
            current = parent_of.get(current)
        if current in chain:
            cycle = " -> ".join(chain[chain.index(current):] + [current])
            err.add(f"{paths[node_id]}.parent", f"cycle {cycle}; it cannot reach the root")
    return root, paths


def _check_transform(transform: Any, path: str, source: str, err: Problems) -> None:
    if transform is None:
        return
    if not isinstance(transform, dict) or transform.get("kind") not in TRANSFORMS:
        err.add(path, f"must be an object with kind one of {', '.join(TRANSFORMS)}")
        return
    kind = transform["kind"]
    if kind == "cap" and not _number(transform.get("value")):
        err.add(f"{path}.value", "a cap needs a numeric value")
    if kind == "ratio":
        for key in ("numerator", "denominator"):
            field = transform.get(key)
            if not isinstance(field, str) or not field:
                err.add(f"{path}.{key}", "names a reported field")
            elif source == "self_check" and field not in SELF_CHECK_FIELDS:
                err.add(f"{path}.{key}", f"a self-check reports {', '.join(SELF_CHECK_FIELDS)}")


def _check_normalisation(norm: Any, path: str, err: Problems) -> None:
    if norm is None:
        return
    if not isinstance(norm, dict) or norm.get("method") not in NORMALISATIONS:
        err.add(path, f"must be an object with method one of {', '.join(NORMALISATIONS)}")
        return
    if norm["method"] == "goalposts":
        low, high = norm.get("min"), norm.get("max")
        if not (_number(low) and _number(high)):
            err.add(path, "goalposts need numeric min and max")
        elif low >= high:
            err.add(f"{path}.max", f"must be greater than min ({low})")
    if norm.get("scope", "group") not in NORMALISATION_SCOPES:
        err.add(f"{path}.scope", f"one of {', '.join(NORMALISATION_SCOPES)}")
    winsor = norm.get("winsorise")
    if winsor is not None and not (_number(winsor) and 0 <= winsor < 0.5):
        err.add(f"{path}.winsorise", "is the tail share to clip, 0 <= p < 0.5")


def _check_leaf(node: dict, path: str, err: Problems) -> None:
    source = node.get("source")
    if source not in SOURCES:
        err.add(f"{path}.source", f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    if node.get("direction") not in DIRECTIONS:
        err.add(f"{path}.direction", f"must be one of {', '.join(DIRECTIONS)}")
    if not isinstance(node.get("unit_of_measure"), str):
        err.add(f"{path}.unit_of_measure", "is required (text, may be empty)")
    for key in ("aggregation", "weighting"):
        if key in node:
            err.add(f"{path}.{key}", "only a node with children aggregates")
    if source == "poll" and node.get("statistic", "satisfaction_rate") not in POLL_STATISTICS:
        err.add(f"{path}.statistic", f"one of {', '.join(POLL_STATISTICS)}")
    if source == "inspection" and node.get("statistic", "mean") not in INSPECTION_STATISTICS:
        err.add(f"{path}.statistic", f"one of {', '.join(INSPECTION_STATISTICS)}")
    if source == "key_task" and node.get("metric") not in KEY_TASK_METRICS:
        err.add(f"{path}.metric", f"a key_task indicator needs metric, one of "
                                  f"{', '.join(KEY_TASK_METRICS)}")
    if source == "instruction" and node.get("metric",
                                            "on_time_closure_rate") not in INSTRUCTION_METRICS:
        err.add(f"{path}.metric", f"one of {', '.join(INSTRUCTION_METRICS)}")
    if source == "self_check" and node.get("field", "actual") not in SELF_CHECK_FIELDS:
        err.add(f"{path}.field", f"one of {', '.join(SELF_CHECK_FIELDS)}")
    kinds = node.get("kinds")
    if kinds is not None and (not isinstance(kinds, list) or not kinds
                              or any(k not in UNIT_KINDS for k in kinds)):
        err.add(f"{path}.kinds", f"a list of unit kinds ({', '.join(UNIT_KINDS)})")
    if "allow_negative" in node and not isinstance(node["allow_negative"], bool):
        err.add(f"{path}.allow_negative", "must be true or false")
    _check_transform(node.get("transform"), f"{path}.transform", source, err)
    _check_normalisation(node.get("normalisation"), f"{path}.normalisation", err)


def check_ahp(matrix: Any, size: int, path: str, err: Problems, ri_table: str = "saaty") -> None:
    """Square ``size``×``size``, positive, unit diagonal, reciprocal, CR < 0.1 (Saaty)."""
    if (not isinstance(matrix, list) or len(matrix) != size
            or not all(isinstance(r, list) and len(r) == size for r in matrix)):
        err.add(path, f"must be a {size}x{size} matrix (one row and column per child)")
        return
    bad = False
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if not _number(value) or value <= 0:
                err.add(f"{path}[{i}][{j}]", "must be a positive number")
                bad = True
    if bad:
        return
    for i in range(size):
        if abs(matrix[i][i] - 1) > RECIPROCAL_TOLERANCE:
            err.add(f"{path}[{i}][{i}]", "the diagonal must be 1")
            bad = True
        for j in range(i + 1, size):
            if abs(matrix[i][j] * matrix[j][i] - 1) > RECIPROCAL_TOLERANCE:
                err.add(f"{path}[{j}][{i}]", f"must be 1/{matrix[i][j]:g} (reciprocal of "
                                             f"[{i}][{j}])")
                bad = True
    if bad or size < 3:
        return
    table = RI_TABLES.get(ri_table)
    if table is None or size > len(table):
        err.add(path, f"no random index for n={size} in table {ri_table!r}")
        return
    lam = float(np.max(np.linalg.eigvals(np.array(matrix, dtype=float)).real))
    cr = ((lam - size) / (size - 1)) / table[size - 1]
    if cr >= 0.1:
        err.add(path, f"inconsistent: CR = {cr:.3f} >= 0.1 (lambda_max {lam:.3f}, "
                      f"RI {table[size - 1]} from {ri_table})")


def _check_internal(node: dict, path: str, err: Problems,
                    weight_override: dict[str, float] | None = None) -> None:
    if node.get("aggregation", "arithmetic") not in AGGREGATIONS:
        err.add(f"{path}.aggregation", f"one of {', '.join(AGGREGATIONS)}")
    if "source" in node:
        err.add(f"{path}.source", "a node with children takes no source")
    weighting = node.get("weighting", {"method": "expert"})
    if not isinstance(weighting, dict) or weighting.get("method") not in WEIGHTINGS:
        err.add(f"{path}.weighting", f"an object with method one of {', '.join(WEIGHTINGS)}")
        return
    children = node["children"]
    if node.get("aggregation") == "geometric":
        _check_positive_children(children, path, err)
    if weighting["method"] == "expert":
        _check_sibling_weights(node, path, err, weight_override or {})
    elif weighting["method"] == "ahp":
        check_ahp(weighting.get("matrix"), len(children), f"{path}.weighting.matrix", err,
                  weighting.get("ri_table", "saaty"))


def _check_positive_children(children: list, path: str, err: Problems) -> None:
    """A geometric mean needs positive scores; z-scores are centred on 0 (the engine
    refuses them there too, services/scoring/engine/model.py)."""
    for index, child in enumerate(children):
        method = (child.get("normalisation") or {}).get("method") if isinstance(child, dict) \
            else None
        if method in Z_NORMALISATIONS:
            err.add(f"{path}.children[{index}].normalisation.method",
                    f"{method} scores are not positive, so a geometric mean cannot take them; "
                    "use tscore, minmax, goalposts or percentile")


def _check_sibling_weights(node: dict, path: str, err: Problems,
                           override: dict[str, float]) -> None:
    children = node["children"]
    total = 0.0
    for index, child in enumerate(children):
        weight = override.get(child.get("id"), child.get("weight"))
        if not _number(weight) or weight < 0:
            err.add(f"{path}.children[{index}].weight",
                    "expert weighting needs a weight >= 0 on every child")
            return
        total += weight
    names = ", ".join(str(c.get("id")) for c in children)
    if total == 0:
        err.add(f"{path}.children", f"weights of {names} are all 0: expert weighting of node "
                                    f"{node.get('id')!r} needs weights that sum to 1")
    elif abs(total - 1) > WEIGHT_TOLERANCE:
        err.add(f"{path}.children", f"weights of {names} sum to {total:g}, not 1")


def _walk(node: Any, path: str, err: Problems, seen: dict[str, str],
          leaves: list[tuple[str, dict]]) -> None:
    if not isinstance(node, dict):
        err.add(path, "must be an object")
        return
    node_id = node.get("id")
    if not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
        err.add(f"{path}.id", "must be 1-80 letters, digits, '_', '.', '-'")
    elif node_id in seen:
        err.add(f"{path}.id", f"duplicate id {node_id!r} (first at {seen[node_id]})")
    else:
        seen[node_id] = path
    children = node.get("children")
    if children is None:
        _check_leaf(node, path, err)
        leaves.append((path, node))
        return
    if not isinstance(children, list) or not children:
        err.add(f"{path}.children", "must be a non-empty list (or leave it out for an indicator)")
        return
    _check_internal(node, path, err)
    for index, child in enumerate(children):
        _walk(child, f"{path}.children[{index}]", err, seen, leaves)


def _check_overrides(overrides: Any, root: dict, seen: dict[str, str], err: Problems,
                     peer_groups: set[str] | None, stored: bool) -> None:
    if overrides is None:
        return
    if not isinstance(overrides, list):
        err.add("overrides", "must be a list")
        return
    internal = _internal_nodes(root)
    for path, override in _objects(overrides, "overrides", err):
        group = override.get("peer_group")
        if not isinstance(group, str) or not group:
            err.add(f"{path}.peer_group", "is required")
        elif peer_groups is not None and group not in peer_groups:
            err.add(f"{path}.peer_group", f"unknown peer group {group!r}")
        weights = override.get("weights") or {}
        if not isinstance(weights, dict):
            err.add(f"{path}.weights", "maps node id to weight")
            weights = {}
        for node_id, weight in weights.items():
            if node_id not in seen:
                err.add(f"{path}.weights.{node_id}", f"unknown node {node_id!r}")
            elif not _number(weight) or weight < 0:
                err.add(f"{path}.weights.{node_id}", "must be a number >= 0")
        for node_id in override.get("exclude") or []:
            if node_id not in seen:
                err.add(f"{path}.exclude", f"unknown node {node_id!r}")
        for node_id, norm in (override.get("normalisation") or {}).items():
            if node_id not in seen:
                err.add(f"{path}.normalisation.{node_id}", f"unknown node {node_id!r}")
            _check_normalisation(norm, f"{path}.normalisation.{node_id}", err)
        if weights and not err.errors:
            _check_override_weights(weights, internal, f"{path}.weights", err, stored)


def _check_override_weights(weights: dict, internal: list[tuple[str, dict]], path: str,
                            err: Problems, stored: bool) -> None:
    """Expert siblings still sum to 1 with the override's weights; no node loses every
    child (weight 0 for all of them, whatever its weighting method)."""
    for node_path, node in internal:
        ids = [c.get("id") for c in node["children"]]
        if not any(i in weights for i in ids):
            continue
        if node.get("weighting", {}).get("method", "expert") == "expert":
            sub = Problems()
            _check_sibling_weights(node, node_path, sub, weights)
            for reasons in sub.errors.values():
                for reason in reasons:
                    err.add(path, f"at {node.get('id')}: {reason}")
        elif not stored and all(weights.get(i) == 0 for i in ids):
            err.add(path, f"at {node.get('id')}: the weights of {', '.join(map(str, ids))} "
                          f"are all 0: node {node.get('id')!r} would have no score")


def _internal_nodes(root: dict, path: str = "root") -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    if isinstance(root.get("children"), list):
        found.append((path, root))
        for index, child in enumerate(root["children"]):
            if isinstance(child, dict):
                found.extend(_internal_nodes(child, f"{path}.children[{index}]"))
    return found


def validate_document(document: Any, peer_groups: set[str] | None = None, *,
                      stored: bool = False) -> dict[str, Any]:
    """Check a scheme document; return its nested tree; raise ValidationFailed listing all.

    ``peer_groups`` (codes) lets overrides be checked against the registry. ``stored``
    reads a document accepted earlier, under the rules of its time: the checks added
    since (unknown keys, engine options, shrinkage, overrides that zero every child of a
    node) are skipped, so that runs and the indicator catalogue still read it.
    """
    err = Problems()
    if not isinstance(document, dict):
        raise ValidationFailed("Invalid scheme document", {"document": ["must be an object"]})
    if ("root" in document) == ("nodes" in document):
        raise ValidationFailed("Invalid scheme document",
                               {"document": ["give the tree as 'root' (nested) or 'nodes' "
                                             "(flat, with parent), not both or neither"]})
    if "nodes" in document:
        root, flat_paths = _nested_from_flat(document["nodes"], err)
    else:
        root, flat_paths = document["root"], {}
    if document.get("missing", "fail") not in MISSING_POLICIES:
        err.add("missing", f"one of {', '.join(MISSING_POLICIES)}")
    if not stored:
        check_engine(document.get("engine"), err.add)
        check_keys(document, err.add)
    seen: dict[str, str] = {}
    leaves: list[tuple[str, dict]] = []
    if root is not None:
        sub = Problems()
        _walk(root, "root", sub, seen, leaves)
        for path, leaf in leaves if not stored else ():
            if leaf.get("shrinkage", "none") not in SHRINKAGE:
                sub.add(f"{path}.shrinkage", f"one of {', '.join(SHRINKAGE)} (Fay-Herriot)")
        for path, reasons in sub.errors.items():
            for reason in reasons:
                err.add(_flat_path(path, root, flat_paths), reason)
        if not err.errors:
            _check_overrides(document.get("overrides"), root, seen, err, peer_groups, stored)
    err.raise_if_any("Invalid scheme document")
    return root


def _flat_path(path: str, root: dict, flat_paths: dict[str, str]) -> str:
    """Map a nested path back to ``nodes[i]`` when the document was flat."""
    if not flat_paths:
        return path
    node, rest = root, path[len("root"):]
    while rest.startswith(".children["):
        index = int(rest[len(".children["):rest.index("]")])
        rest = rest[rest.index("]") + 1:]
        node = node["children"][index]
    return flat_paths.get(node.get("id"), "nodes") + rest


def scheme_tree(document: dict[str, Any]) -> dict[str, Any]:
    """The nested indicator tree of a stored document (flat form converted)."""
    return validate_document(document, stored=True)


def nested_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its tree under ``root`` (a flat ``nodes`` form converted), as
    the engine's ``from_document`` reads it."""
    if "nodes" not in document:
        return document
    rest = {k: v for k, v in document.items() if k != "nodes"}
    return {**rest, "root": scheme_tree(document)}


def indicators(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Leaves of a valid document, each with its ``path`` of ancestor ids."""
    out: list[dict[str, Any]] = []

    def walk(node: dict, trail: list[str]) -> None:
        if "children" in node:
            for child in node["children"]:
                walk(child, [*trail, node["id"]])
        else:
            out.append({**node, "path": trail})

    walk(scheme_tree(document), [])
    return out
