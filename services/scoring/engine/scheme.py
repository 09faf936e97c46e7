"""The engine's view of an assessment scheme: a tree of :class:`Node` and
:class:`Indicator` with the missing-data policy, per-peer-group :class:`Override` and
engine options; :func:`services.scoring.engine.document.from_document` reads it from the
scheme document.

A :class:`Scheme` is immutable; what a score run changes is made by its operations:
:meth:`Scheme.pruned` (only the indicators that have values), :meth:`Scheme.absent`,
:meth:`Scheme.excluding_kinds` (a leaf restricted to unit ``kinds`` left out for peer
groups without such units) and :meth:`Scheme.blended` (the period blend of day-to-day
results with the scheme's own assessment under a root of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from services.scoring.engine.errors import EngineError

DEFAULT_NORMALISATION = "tscore"
# Ids of a blended scheme (:meth:`Scheme.blended`): its root and the day-to-day column.
BLEND_ROOT = "assessment"
DAY_TO_DAY = "day_to_day"


@dataclass(frozen=True)
class Normalisation:
    method: str = DEFAULT_NORMALISATION
    scope: str = "group"
    lower: float | None = None  # goalposts, on the indicator's scale after its transform
    upper: float | None = None
    winsorise: float | None = None  # tail share clipped at each end, 0 ≤ p < 0.5


@dataclass(frozen=True)
class Transform:
    kind: str  # log | cap | ratio
    value: float | None = None  # cap
    numerator: str | None = None  # ratio: names of reported fields
    denominator: str | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    source: str
    direction: int  # +1 higher is better, −1 lower is better
    normalisation: Normalisation
    transform: Transform | None = None
    weight: float | None = None
    shrinkage: str | None = None  # "REML" / "ML": Fay–Herriot toward the peer-group mean
    kinds: tuple[str, ...] | None = None  # unit kinds the indicator applies to (None: all)


@dataclass(frozen=True)
class Node:
    id: str
    children: tuple[Any, ...]  # Node | Indicator
    aggregation: str = "arithmetic"
    weighting: str = "expert"
    matrix: tuple[tuple[float, ...], ...] | None = None  # AHP
    ri_table: str = "saaty"
    weight: float | None = None


@dataclass(frozen=True)
class Override:
    peer_group: str
    weights: dict[str, float] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    normalisation: dict[str, Normalisation] = field(default_factory=dict)


@dataclass(frozen=True)
class Scheme:
    root: Node
    missing: str = "fail"
    overrides: tuple[Override, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def indicators(self) -> list[Indicator]:
        out: list[Indicator] = []
        _leaves(self.root, out)
        return out

    def nodes(self) -> list[Node]:
        """Internal nodes, children before parents (the order aggregation runs in)."""
        out: list[Node] = []
        _post_order(self.root, out)
        return out

    def absent(self, present: set[str]) -> list[str]:
        """The indicators (in tree order) whose ids are not in ``present``."""
        return [leaf.id for leaf in self.indicators if leaf.id not in present]

    def pruned(self, keep: set[str]) -> tuple[Scheme | None, list[str]]:
        """The scheme without the indicators not in ``keep`` and the nodes left empty:
        AHP matrices lose the rows and columns of removed children, overrides their
        references. Returns (the scheme, or None when nothing is left; the removed ids,
        children before their node)."""
        removed: list[str] = []
        root = _prune(self.root, keep, removed)
        if root is None:
            return None, removed
        gone = set(removed)
        overrides = tuple(
            replace(
                o,
                weights={k: w for k, w in o.weights.items() if k not in gone},
                exclude=tuple(k for k in o.exclude if k not in gone),
                normalisation={k: n for k, n in o.normalisation.items() if k not in gone},
            )
            for o in self.overrides
        )
        return replace(self, root=root, overrides=overrides), removed

    def excluding_kinds(
        self, kinds_of_group: dict[str, set[str]]
    ) -> tuple[Scheme, dict[str, list[str]]]:
        """Exclude an indicator with ``kinds`` for every peer group none of whose units
        (``kinds_of_group``: group → the unit kinds in it) is of those kinds, through that
        group's (last) override. Returns (the scheme, group → indicators newly excluded)."""
        overrides = list(self.overrides)
        by_group = {o.peer_group: i for i, o in enumerate(overrides)}
        excluded: dict[str, list[str]] = {}
        for leaf in self.indicators:
            if not leaf.kinds:
                continue
            for group, present in sorted(kinds_of_group.items()):
                if present & set(leaf.kinds):
                    continue
                if group not in by_group:
                    by_group[group] = len(overrides)
                    overrides.append(Override(peer_group=group))
                override = overrides[by_group[group]]
                if leaf.id not in override.exclude:
                    overrides[by_group[group]] = replace(
                        override, exclude=(*override.exclude, leaf.id)
                    )
                    excluded.setdefault(group, []).append(leaf.id)
        return replace(self, overrides=tuple(overrides)), excluded

    def blended(self, day_to_day: float, snapshot: float) -> Scheme:
        """The period blend: a root ``BLEND_ROOT`` (arithmetic, expert weights) over the
        day-to-day column ``DAY_TO_DAY`` (source direct, not re-normalised, weight
        ``day_to_day``) and this scheme's root (weight ``snapshot``). Raises EngineError
        when a node or indicator of this scheme already has one of the two ids."""
        if self.root.id in (BLEND_ROOT, DAY_TO_DAY):
            raise EngineError(
                "The scheme's root id is reserved by runs",
                {"root.id": [f"{BLEND_ROOT} and {DAY_TO_DAY} are reserved"]},
            )
        reserved = (BLEND_ROOT, DAY_TO_DAY)
        taken = [n.id for n in [*self.nodes(), *self.indicators] if n.id in reserved]
        if taken:
            raise EngineError(
                "The scheme uses an id reserved by runs",
                {node_id: [f"{BLEND_ROOT} and {DAY_TO_DAY} are reserved"] for node_id in taken},
            )
        day = Indicator(
            id=DAY_TO_DAY,
            source="direct",
            direction=1,
            normalisation=Normalisation(method="none"),
            weight=float(day_to_day),
        )
        root = Node(
            id=BLEND_ROOT, children=(day, replace(self.root, weight=float(snapshot)))
        )
        return replace(self, root=root)


def _prune(node, keep: set[str], removed: list[str]):
    if isinstance(node, Indicator):
        if node.id in keep:
            return node
        removed.append(node.id)
        return None
    kept_index, children = [], []
    for i, child in enumerate(node.children):
        out = _prune(child, keep, removed)
        if out is not None:
            kept_index.append(i)
            children.append(out)
    if not children:
        removed.append(node.id)
        return None
    matrix = node.matrix
    if matrix is not None:
        matrix = tuple(tuple(matrix[i][j] for j in kept_index) for i in kept_index)
    return replace(node, children=tuple(children), matrix=matrix)


def _leaves(node, out):
    for child in node.children:
        if isinstance(child, Node):
            _leaves(child, out)
        else:
            out.append(child)


def _post_order(node, out):
    for child in node.children:
        if isinstance(child, Node):
            _post_order(child, out)
    out.append(node)
