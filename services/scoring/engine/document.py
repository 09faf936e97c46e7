"""Reading the scheme document into the engine's :class:`Scheme`.

:func:`from_document` accepts the document shape of the scoring service
(``services/scoring/scheme_document.py``, issue 3): a nested ``root`` with
``children`` or a flat ``nodes`` list with ``parent``; leaves carry ``id``, ``source``,
``direction`` (higher/lower), optional ``transform`` ({kind: log|cap|ratio}),
``normalisation`` ({method, min/max for goalposts, winsorise, scope}) and ``weight``;
nodes carry ``aggregation`` and ``weighting`` ({method, matrix, ri_table}); the document
carries ``missing`` and per-peer-group ``overrides``. Engine-only options may sit in an
``engine`` object of the document or be passed to ``compute``. Aliases of method names
(``z``/``zscore``, ``t``/``tscore``, ``min_max``/``minmax``) are accepted.
"""

from __future__ import annotations

from typing import Any

from services.scoring.engine.errors import EngineError
from services.scoring.engine.scheme import (
    DEFAULT_NORMALISATION,
    Indicator,
    Node,
    Normalisation,
    Override,
    Scheme,
    Transform,
)

NORMALISATION_ALIASES = {
    "z": "zscore",
    "zscore": "zscore",
    "z_score": "zscore",
    "t": "tscore",
    "tscore": "tscore",
    "t_score": "tscore",
    "robust_z": "robust_z",
    "robust": "robust_z",
    "minmax": "minmax",
    "min_max": "minmax",
    "goalposts": "goalposts",
    "percentile": "percentile",
    "percentile_rank": "percentile",
    "none": "none",
}
SOURCES = ("poll", "inspection", "self_check", "key_task", "instruction", "direct")
AGGREGATIONS = ("arithmetic", "geometric")
WEIGHTINGS = ("expert", "equal", "ahp", "entropy", "critic")
MISSING_POLICIES = ("fail", "impute_group_mean", "impute_group_median", "reweight")
MISSING_ALIASES = {
    "impute_mean": "impute_group_mean",
    "impute_median": "impute_group_median",
    "re-weight": "reweight",
}
SCOPES = ("group", "all")

def from_document(document: dict[str, Any]) -> Scheme:
    """Read a scheme document (the issue-3 shape); raise EngineError listing every problem."""
    errors: dict[str, list[str]] = {}
    if not isinstance(document, dict):
        raise EngineError("scheme document must be an object", {"document": ["not an object"]})
    if "root" in document:
        tree = document["root"]
    elif "nodes" in document:
        tree = _nest(document["nodes"], errors)
    else:
        raise EngineError("scheme document needs 'root' or 'nodes'", {"document": ["no tree"]})
    seen: set[str] = set()
    root = _node(tree, "root", errors, seen) if tree is not None else None
    if isinstance(root, Indicator):
        errors.setdefault("root", []).append("the root must have children")
    missing = document.get("missing", "fail")
    missing = MISSING_ALIASES.get(missing, missing)
    if missing not in MISSING_POLICIES:
        errors.setdefault("missing", []).append(f"one of {', '.join(MISSING_POLICIES)}")
    overrides = tuple(
        _override(o, f"overrides[{i}]", errors, seen)
        for i, o in enumerate(document.get("overrides") or [])
    )
    options = document.get("engine") or {}
    if not isinstance(options, dict):
        errors.setdefault("engine", []).append("must be an object of engine options")
        options = {}
    if errors:
        raise EngineError("invalid scheme", errors)
    return Scheme(root=root, missing=missing, overrides=overrides, options=dict(options))


def _nest(nodes, errors) -> dict | None:
    if not isinstance(nodes, list):
        errors.setdefault("nodes", []).append("must be a list")
        return None
    by_id = {
        n.get("id"): {k: v for k, v in n.items() if k != "parent"}
        for n in nodes
        if isinstance(n, dict)
    }
    roots = []
    for n in nodes:
        parent = n.get("parent") if isinstance(n, dict) else None
        if parent in (None, ""):
            roots.append(by_id[n.get("id")])
        elif parent not in by_id:
            errors.setdefault("nodes", []).append(f"{n.get('id')}: unknown parent {parent!r}")
        else:
            by_id[parent].setdefault("children", []).append(by_id[n["id"]])
    if len(roots) != 1:
        errors.setdefault("nodes", []).append(f"needs exactly one root, found {len(roots)}")
        return None
    return roots[0]


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _node(doc, path, errors, seen):
    def bad(where, reason):
        errors.setdefault(where, []).append(reason)

    if not isinstance(doc, dict):
        bad(path, "must be an object")
        return None
    node_id = str(doc.get("id", ""))
    if not node_id:
        bad(f"{path}.id", "is required")
    elif node_id in seen:
        bad(f"{path}.id", f"duplicate id {node_id!r}")
    seen.add(node_id)
    weight = doc.get("weight")
    if weight is not None and (not _number(weight) or weight < 0):
        bad(f"{path}.weight", "must be a number ≥ 0")
    if "children" not in doc:
        return _indicator(doc, node_id, path, bad)
    children = doc.get("children")
    if not isinstance(children, list) or not children:
        bad(f"{path}.children", "must be a non-empty list")
        children = []
    kids = tuple(_node(c, f"{path}.children[{i}]", errors, seen) for i, c in enumerate(children))
    aggregation = doc.get("aggregation", "arithmetic")
    if aggregation not in AGGREGATIONS:
        bad(f"{path}.aggregation", f"one of {', '.join(AGGREGATIONS)}")
    weighting = doc.get("weighting", {"method": "expert"})
    if isinstance(weighting, str):
        weighting = {"method": weighting}
    method = weighting.get("method", "expert") if isinstance(weighting, dict) else None
    if method not in WEIGHTINGS:
        bad(f"{path}.weighting", f"method one of {', '.join(WEIGHTINGS)}")
    matrix = weighting.get("matrix") if isinstance(weighting, dict) else None
    if method == "ahp" and not isinstance(matrix, list):
        bad(f"{path}.weighting.matrix", "AHP needs a pairwise comparison matrix")
    if method == "expert":
        for i, child in enumerate(children):
            if isinstance(child, dict) and not _number(child.get("weight")):
                bad(
                    f"{path}.children[{i}].weight", "expert weighting needs a weight on every child"
                )
    return Node(
        id=node_id,
        children=kids,
        aggregation=aggregation,
        weighting=method or "expert",
        matrix=tuple(tuple(float(v) for v in row) for row in matrix)
        if method == "ahp" and isinstance(matrix, list)
        else None,
        ri_table=(weighting.get("ri_table") if isinstance(weighting, dict) else None) or "saaty",
        weight=float(weight) if _number(weight) else None,
    )


def _indicator(doc, node_id, path, bad) -> Indicator:
    source = doc.get("source")
    if source not in SOURCES:
        bad(f"{path}.source", f"one of {', '.join(SOURCES)}")
    direction = doc.get("direction", "higher")
    if direction not in ("higher", "lower"):
        bad(f"{path}.direction", "higher or lower")
    transform = None
    t = doc.get("transform")
    if t is not None:
        kind = t.get("kind", t.get("type")) if isinstance(t, dict) else None
        if kind not in ("log", "cap", "ratio"):
            bad(f"{path}.transform", "kind one of log, cap, ratio")
        elif kind == "cap" and not _number(t.get("value")):
            bad(f"{path}.transform.value", "a cap needs a numeric value")
        else:
            transform = Transform(
                kind=kind,
                value=t.get("value"),
                numerator=t.get("numerator"),
                denominator=t.get("denominator"),
            )
    shrinkage = doc.get("shrinkage")
    if isinstance(shrinkage, dict):
        shrinkage = shrinkage.get("method", "REML")
    if shrinkage not in (None, "REML", "ML", "none"):
        bad(f"{path}.shrinkage", "REML, ML or none")
    weight = doc.get("weight")
    kinds = doc.get("kinds")
    return Indicator(
        id=node_id,
        source=source or "direct",
        direction=-1 if direction == "lower" else 1,
        normalisation=read_normalisation(doc.get("normalisation"), f"{path}.normalisation", bad),
        transform=transform,
        weight=float(weight) if _number(weight) else None,
        shrinkage=None if shrinkage in (None, "none") else shrinkage,
        kinds=tuple(kinds) if isinstance(kinds, list) else None,
    )


def read_normalisation(doc, path, bad) -> Normalisation:
    """A normalisation object ({method, scope, min, max, winsorise}); None gives the default."""
    if doc is None:
        return Normalisation()
    if isinstance(doc, str):
        doc = {"method": doc}
    method = (
        NORMALISATION_ALIASES.get(doc.get("method", DEFAULT_NORMALISATION))
        if isinstance(doc, dict)
        else None
    )
    if method is None:
        bad(path, f"method one of {', '.join(sorted(set(NORMALISATION_ALIASES.values())))}")
        return Normalisation()
    scope = doc.get("scope", "group")
    if scope not in SCOPES:
        bad(f"{path}.scope", "group or all")
    lower, upper = doc.get("min", doc.get("lower")), doc.get("max", doc.get("upper"))
    if method == "goalposts" and not (_number(lower) and _number(upper) and lower < upper):
        bad(path, "goalposts need numeric min < max")
    winsor = doc.get("winsorise", doc.get("winsorize"))
    if winsor is not None and not (_number(winsor) and 0 <= winsor < 0.5):
        bad(f"{path}.winsorise", "the tail share to clip, 0 ≤ p < 0.5")
    return Normalisation(
        method=method,
        scope=scope if scope in SCOPES else "group",
        lower=lower if _number(lower) else None,
        upper=upper if _number(upper) else None,
        winsorise=winsor if _number(winsor) and winsor > 0 else None,
    )


def _override(doc, path, errors, seen) -> Override:
    def bad(where, reason):
        errors.setdefault(where, []).append(reason)

    if not isinstance(doc, dict) or not doc.get("peer_group"):
        bad(path, "an override needs a peer_group")
        return Override(peer_group="")
    weights = {}
    for node_id, w in (doc.get("weights") or {}).items():
        if node_id not in seen:
            bad(f"{path}.weights.{node_id}", "unknown node")
        elif not _number(w) or w < 0:
            bad(f"{path}.weights.{node_id}", "must be a number ≥ 0")
        else:
            weights[node_id] = float(w)
    exclude = tuple(doc.get("exclude") or ())
    for node_id in exclude:
        if node_id not in seen:
            bad(f"{path}.exclude", f"unknown node {node_id!r}")
    norms = {
        k: read_normalisation(v, f"{path}.normalisation.{k}", bad)
        for k, v in (doc.get("normalisation") or {}).items()
    }
    return Override(
        peer_group=str(doc["peer_group"]), weights=weights, exclude=exclude, normalisation=norms
    )
