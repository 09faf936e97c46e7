"""The keys a scheme document may hold, and where: any other key is refused; and the
values of its ``engine`` options (:func:`check_engine`).

A misspelt key used to be ignored — ``normalization:`` instead of ``normalisation:``
fell back to T-scores and every result was wrong without a word. :func:`check_keys`
walks the whole document (nested ``root`` or flat ``nodes``; nodes, their
``transform``, ``normalisation`` and ``weighting``, the ``overrides`` and the
``engine`` options) and reports each key that has no meaning where it stands, by its
path (``root.children[2].normalization``, ``nodes[4].weigth``, ``engine.advanced.shares``)
with the close match (difflib) when there is one: "unknown key 'normalization'; did you
mean 'normalisation'?". A key that belongs elsewhere says where it belongs ("only an
indicator (a node without children) takes 'direction'"). The vocabulary is listed in
docs/scoring-intake.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from services.scoring.engine import EngineError, Options
from services.scoring.engine.credibility import CredibilityRule

DOCUMENT = ("code", "name_zh", "name_en", "missing", "root", "nodes", "overrides", "engine")
NODE = ("id", "name_zh", "name_en", "weight")
INTERNAL = ("children", "aggregation", "weighting")
SOURCES = ("poll", "inspection", "self_check", "key_task", "instruction", "direct")
LEAF = ("source", "direction", "unit_of_measure", "transform", "normalisation", "kinds",
        "allow_negative", "shrinkage", "statistic", "question", "category", "metric", "field")
# Leaf keys that only one kind of source reads.
SOURCE_KEYS = {"statistic": ("poll", "inspection"), "question": ("poll",),
               "category": ("poll",), "metric": ("key_task", "instruction"),
               "field": ("self_check",)}
TRANSFORM = {"log": ("kind",), "cap": ("kind", "value"),
             "ratio": ("kind", "numerator", "denominator")}
NORMALISATION = ("method", "scope", "winsorise", "min", "max")
GOALPOST_KEYS = ("min", "max")
WEIGHTING = ("method", "matrix", "ri_table")
AHP_KEYS = ("matrix", "ri_table")
OVERRIDE = ("peer_group", "weights", "exclude", "normalisation")
# The engine's method options (docs/scoring-engine.md); ``pinned`` is for runs only.
ENGINE = tuple(sorted({*Options.__dataclass_fields__, "advanced"} - {"pinned"}))
ENGINE_OBJECTS = {"advanced": ("seats", "share"),
                  "credibility": ("mode", "slope", "threshold", "floor")}

Report = Callable[[str, str], None]


def check_keys(document: dict[str, Any], report: Report) -> None:
    """Call ``report(path, reason)`` for every key of ``document`` that it may not hold."""
    _known(document, DOCUMENT, "", report)
    nodes = document.get("nodes")
    if isinstance(nodes, list):
        parents = {n.get("parent") for n in nodes if isinstance(n, dict)}
        for index, node in enumerate(nodes):
            if isinstance(node, dict):
                _node(node, f"nodes[{index}]", node.get("id") in parents, True, report)
    elif isinstance(document.get("root"), dict):
        _tree(document["root"], "root", report)
    overrides = document.get("overrides")
    for index, override in enumerate(overrides if isinstance(overrides, list) else []):
        if not isinstance(override, dict):
            continue
        path = f"overrides[{index}]"
        _known(override, OVERRIDE, path, report)
        norms = override.get("normalisation")
        for node_id, norm in (norms.items() if isinstance(norms, dict) else ()):
            _normalisation(norm, f"{path}.normalisation.{node_id}", report)
    engine = document.get("engine")
    if isinstance(engine, dict):
        _known(engine, ENGINE, "engine", report)
        for key, allowed in ENGINE_OBJECTS.items():
            if isinstance(engine.get(key), dict):
                _known(engine[key], allowed, f"engine.{key}", report)


def check_engine(options: Any, report: Report) -> None:
    """The values of the ``engine`` object: options the engine accepts, as it would check
    them when a run starts (docs/scoring-engine.md); unknown keys are :func:`check_keys`'s."""
    if not isinstance(options, dict | None):
        report("engine", "must be an object of engine options")
    elif options:
        known = {k: v for k, v in options.items() if k in ENGINE}
        try:
            CredibilityRule.from_options(Options.build(known).credibility)
        except (EngineError, TypeError, ValueError) as exc:
            report("engine", getattr(exc, "message", f"an option has the wrong type: {exc}"))


def _tree(node: dict, path: str, report: Report) -> None:
    children = node.get("children")
    _node(node, path, children is not None, False, report)
    for index, child in enumerate(children if isinstance(children, list) else []):
        if isinstance(child, dict):
            _tree(child, f"{path}.children[{index}]", report)


def _node(node: dict, path: str, internal: bool, flat: bool, report: Report) -> None:
    """Check a node's own keys, then its transform, normalisation and weighting."""
    allowed = [*NODE, *(INTERNAL if internal else LEAF)]
    if flat:
        allowed = [k for k in allowed if k != "children"] + ["parent"]
    for key in _unknown(node, allowed):
        if key == "children" and not flat:
            report(f"{path}.children", "must be a non-empty list (or leave it out for an "
                                       "indicator)")
        elif key in ("parent", "children"):
            report(f"{path}.{key}", "'children' belongs to the nested form (root) and "
                                    "'parent' to the flat form (nodes)")
        elif internal and key in LEAF:
            if key != "source":  # the tree check says "a node with children takes no source"
                report(f"{path}.{key}", f"only an indicator (a node without children) takes "
                                        f"{key!r}")
        elif internal or key not in INTERNAL:  # a leaf's weighting: "only a node … aggregates"
            report(f"{path}.{key}", _unknown_reason(key, allowed))
    if internal:
        _weighting(node.get("weighting"), f"{path}.weighting", report)
        return
    source = node.get("source")
    for key, sources in SOURCE_KEYS.items():
        if key in node and source in SOURCES and source not in sources:
            report(f"{path}.{key}", f"{key!r} is read only for source {' or '.join(sources)}")
    _transform(node.get("transform"), f"{path}.transform", report)
    _normalisation(node.get("normalisation"), f"{path}.normalisation", report)


def _transform(transform: Any, path: str, report: Report) -> None:
    if isinstance(transform, dict) and transform.get("kind") in TRANSFORM:
        allowed = TRANSFORM[transform["kind"]]
        everything = sorted({k for keys in TRANSFORM.values() for k in keys})
        for key in _unknown(transform, allowed):
            if key in everything:
                report(f"{path}.{key}", f"a {transform['kind']} transform takes no {key!r}")
            else:
                report(f"{path}.{key}", _unknown_reason(key, everything))


def _normalisation(norm: Any, path: str, report: Report) -> None:
    _method_keys(norm, path, report, NORMALISATION, GOALPOST_KEYS, "goalposts")


def _weighting(weighting: Any, path: str, report: Report) -> None:
    _method_keys(weighting, path, report, WEIGHTING, AHP_KEYS, "ahp")


def _method_keys(obj: Any, path: str, report: Report, keys: tuple[str, ...],
                 special: tuple[str, ...], method: str) -> None:
    """The keys of a normalisation or weighting object: ``special`` ones are read only
    by ``method``."""
    if not isinstance(obj, dict):
        return
    allowed = keys if obj.get("method") == method else tuple(k for k in keys if k not in special)
    for key in _unknown(obj, allowed):
        if key in special:
            report(f"{path}.{key}", f"{key!r} is read only by method {method}")
        else:
            report(f"{path}.{key}", _unknown_reason(key, keys))


def _known(mapping: dict, allowed: Iterable[str], path: str, report: Report) -> None:
    allowed = tuple(allowed)
    prefix = f"{path}." if path else ""
    for key in _unknown(mapping, allowed):
        report(f"{prefix}{key}", _unknown_reason(key, allowed))


def _unknown(mapping: dict, allowed: Iterable[str]) -> list[str]:
    allowed = set(allowed)
    return [str(key) for key in mapping if key not in allowed]


def _unknown_reason(key: str, candidates: Iterable[str]) -> str:
    """"unknown key 'x'; did you mean 'y'?" or, without a close match, the list."""
    candidates = sorted(set(candidates))
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6) \
        or difflib.get_close_matches(key.lower(), candidates, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; expected one of {', '.join(candidates)}"
