"""The vectorised pipeline on stacks of values (indicators × draws × units).

:class:`Evaluation` is the part of :class:`services.scoring.engine.model.Model` that
scores a stack: transforms and direction, normalisation (within peer groups or across
all units, with the groups' overrides), credibility and the weighted aggregation up the
tree, block by block of units so that a block stays in cache. It reads what the model
fixed before (columns, normalisations, node weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scoring.engine import normalise
from services.scoring.engine.errors import EngineError
from services.scoring.engine.scheme import Indicator, Node, Normalisation

LOG_FLOOR = 1e-12


@dataclass
class Layout:
    """Columns that vary (built from values and normalised) and those held constant."""

    varying: list[int]
    local: list  # (norm, direction, model index, position index, model columns)
    shared: list
    overrides: list
    discount: list  # (model column, position) of self-check columns that vary


class Evaluation:
    """Scoring a stack of values: the point evaluation (every node, one block) and what
    the Monte Carlo shares with it."""

    def _plan(self) -> None:
        """Fix once how the columns are normalised and the units blocked."""
        self.complete = not np.isnan(self.x0).any()
        self.plans: list[tuple[Normalisation, float, list[int]]] = []
        keyed: dict[tuple, list[int]] = {}
        for j, norm in enumerate(self.norms):
            key = (norm, self.direction[j] if norm.method == "goalposts" else 1.0)
            keyed.setdefault(key, []).append(j)
        self.plans = [(norm, direction, cols) for (norm, direction), cols in keyed.items()]
        self.override_norms = []
        for ov in self.scheme.overrides:
            if ov.peer_group in self.group_codes:
                g = self.group_codes.index(ov.peer_group)
                self.override_norms += [
                    (g, self.col[i], n) for i, n in ov.normalisation.items() if i in self.col
                ]
        self.children_index = {
            node.id: as_index([self.col[c.id] for c in node.children])
            for node in self.nodes
            if all(isinstance(c, Indicator) for c in node.children)
        }
        self.s_point: np.ndarray | None = None  # (K, N) normalised point scores
        self._block_cache: dict[int, list] = {}
        self._weights_cache: dict[tuple, np.ndarray] = {}
        self._layouts: dict[tuple, Layout] = {}
        self._draw_plans: dict = {}  # DrawEvaluation._draw_plan: per (columns, dtype)
        self.node_point: dict[str, np.ndarray] = {}  # node scores of the point evaluation

    def layout(self, varying: list[int]) -> Layout:
        """How to score when only the columns ``varying`` change (the rest are the point
        scores): the normalisation plans restricted to them, with positions."""
        key = tuple(varying)
        if key not in self._layouts:
            pos = {j: p for p, j in enumerate(varying)}
            local, shared = [], []
            for norm, direction, cols in self.plans:
                mine = [j for j in cols if j in pos]
                if not mine:
                    continue
                entry = (norm, direction, as_index(mine), as_index([pos[j] for j in mine]), mine)
                everyone = norm.scope == "all" and norm.method not in ("none", "goalposts")
                (shared if everyone else local).append(entry)
            self._layouts[key] = Layout(
                varying=list(varying),
                local=local,
                shared=shared,
                overrides=[(g, j, n) for g, j, n in self.override_norms if j in pos],
                discount=[(j, pos[j]) for j in self.self_check_cols.tolist() if j in pos],
            )
        return self._layouts[key]

    def evaluate(
        self, x: np.ndarray, point: bool = False
    ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """Scores of the value stack ``x`` (K indicators, D draws, N units), left unchanged.

        ``point``: one block over all units; fixes the node weights on first use and
        returns every node's scores {id: (D, N)} and the normalised values (K, D, N).
        Otherwise only the composite {root id: (D, N)} is returned (normalised None).
        """

        def values_of(rows, cols):
            return x[cols][..., rows].copy()

        layout = self.layout(list(range(len(self.indicators))))
        return self._evaluate(values_of, x.shape[1], point, layout)

    def _evaluate(self, values_of, d: int, point: bool, layout: Layout):
        """Run the pipeline on every unit; ``values_of(rows, cols)`` gives a fresh
        (cols, D, rows) array. Returns ({node id: (D, N)}, normalised (K, D, N) or None);
        the point evaluation (one block) fixes the node weights on first use."""
        n = len(self.units)
        shared = self._shared_scores(values_of, point, layout)
        s_full = np.empty((len(self.indicators), d, n)) if point else None
        keep = [node.id for node in self.nodes] if point else [self.scheme.root.id]
        scores = {node_id: np.empty((d, n)) for node_id in keep}
        self._evaluate_blocks(
            values_of, self._blocks(d, point), shared, scores, s_full, point, layout
        )
        return scores, s_full

    def _evaluate_blocks(self, values_of, blocks, shared, scores, s_full, point, layout) -> None:
        """The pipeline over ``blocks`` of units, writing into ``scores`` (and ``s_full``)."""
        k = len(self.indicators)
        for bs, segs, gids in blocks:
            xv = values_of(bs, layout.varying)
            self.prepare(xv, layout.varying, point)
            sb = np.empty((k,) + xv.shape[1:], dtype=xv.dtype)
            for norm, direction, cols, pos, _ in layout.local:
                sb[cols] = self._apply(xv[pos], norm, direction, segs)
            for p, (_, _, cols, _, _) in enumerate(layout.shared):
                sb[cols] = shared[("plan", p)][..., bs]
            for g, j, _ in layout.overrides:
                if g in gids:
                    seg = self.segments[g]
                    rows = slice(seg.start - bs.start, seg.stop - bs.start)
                    sb[j, :, rows] = shared[("override", g, j)][0, :, seg]
            if self.credibility is not None and self.credibility_rule.mode == "value":
                self._discount_values(sb, bs, segs, [j for j, _ in layout.discount])
            if s_full is not None:
                s_full[..., bs] = sb
            values: dict[str, np.ndarray] = {}
            for node in self.nodes:
                vals = self._children_values(node, sb, values)
                if node.id not in self.unit_weights:
                    self._fix_weights(node, vals[:, 0, :].T)
                values[node.id] = aggregate(
                    vals,
                    self._weights_t(node.id, vals.dtype)[:, bs],
                    node.aggregation,
                    self.options.geometric_floor,
                    self.complete,
                )
                if node.id in scores:
                    scores[node.id][:, bs] = values[node.id]

    def _weights_t(self, node_id: str, dtype) -> np.ndarray:
        """Per-unit weights of a node as (children, units) in the dtype of the values."""
        key = (node_id, np.dtype(dtype).str)
        if key not in self._weights_cache:
            self._weights_cache[key] = np.ascontiguousarray(
                self.unit_weights[node_id].T, dtype=dtype
            )
        return self._weights_cache[key]

    def _blocks(self, d: int, point: bool) -> list:
        if point:
            return [(slice(0, len(self.units)), self.segments, list(range(len(self.segments))))]
        if d not in self._block_cache:
            target = max(1, BLOCK_ELEMENTS // (d * len(self.indicators)))
            blocks, members = [], []
            for g, seg in enumerate(self.segments):
                members.append(g)
                start = self.segments[members[0]].start
                if seg.stop - start >= target or g == len(self.segments) - 1:
                    segs = [
                        slice(self.segments[m].start - start, self.segments[m].stop - start)
                        for m in members
                    ]
                    blocks.append((slice(start, seg.stop), segs, members))
                    members = []
            self._block_cache[d] = blocks
        return self._block_cache[d]

    def prepare(self, x: np.ndarray, cols, point: bool) -> None:
        """Transforms and direction, in place, on the model columns ``cols`` (x's first axis)."""
        index = np.arange(len(self.indicators))[cols]
        for pos, j in enumerate(index):
            t = self.indicators[j].transform
            col = x[pos]
            if t is not None and t.kind == "cap":
                np.minimum(col, t.value, out=col)
            elif t is not None and t.kind == "log":
                if point and np.any(col[~np.isnan(col)] <= 0):
                    raise EngineError(
                        f"log transform of {self.indicators[j].id} needs positive values",
                        {self.indicators[j].id: ["value ≤ 0"]},
                    )
                np.log(np.maximum(col, LOG_FLOOR), out=col)
            if self.direction[j] < 0:
                np.negative(col, out=col)

    def _shared_scores(self, values_of, point: bool, layout: Layout) -> dict:
        """Scores that need every unit at once: scope "all" and per-group overrides."""
        out = {}
        everyone = slice(None)
        for p, (norm, direction, _, _, model_cols) in enumerate(layout.shared):
            part = values_of(everyone, model_cols)
            self.prepare(part, model_cols, point)
            out[("plan", p)] = self._apply(part, norm, direction, self.segments)
        for g, j, norm in layout.overrides:
            part = values_of(everyone, [j])
            self.prepare(part, [j], point)
            out[("override", g, j)] = self._apply(part, norm, self.direction[j], self.segments)
        return out

    def _apply(
        self, x: np.ndarray, norm: Normalisation, direction: float, segs: list[slice]
    ) -> np.ndarray:
        if norm.method == "none":
            return x.copy()
        if norm.method == "goalposts":
            lo, hi = (norm.lower, norm.upper) if direction > 0 else (-norm.upper, -norm.lower)
            return normalise.goalposts(x, lo, hi)
        scopes = [slice(0, x.shape[-1])] if norm.scope == "all" else segs
        out = np.empty_like(x)
        has_nan = None if not self.complete else False
        for seg in scopes:
            part = x[..., seg]
            if norm.winsorise:
                part = normalise.winsorise(part, norm.winsorise, 1.0 - norm.winsorise)
            out[..., seg] = normalise.normalise(part, _ENGINE_METHOD[norm.method], has_nan=has_nan)
        return out

    def _discount_values(self, sb: np.ndarray, bs: slice, segs: list[slice], cols) -> None:
        if not cols:
            return
        c = self.credibility[bs]
        part = sb[cols]
        floor = np.empty_like(part)
        for seg in segs:
            floor[..., seg] = normalise.nan_stat(np.nanmin, part[..., seg])
        sb[cols] = c * part + (1.0 - c) * floor

    def _children_values(self, node: Node, s: np.ndarray, values: dict) -> np.ndarray:
        """Children's scores stacked on the first axis: (children, D, units)."""
        if node.id in self.children_index:
            return s[self.children_index[node.id]]
        return np.stack(
            [values[c.id] if isinstance(c, Node) else s[self.col[c.id]] for c in node.children]
        )


BLOCK_ELEMENTS = 1 << 18  # values per block of units: a few MB, so a block stays in cache


def as_index(cols: list[int]):
    """A slice when the columns are consecutive (a view, no copy), else the list."""
    if cols and cols == list(range(cols[0], cols[-1] + 1)):
        return slice(cols[0], cols[-1] + 1)
    return cols


_ENGINE_METHOD = {
    "zscore": "z",
    "tscore": "t",
    "robust_z": "robust_z",
    "minmax": "min_max",
    "percentile": "percentile",
}


def aggregate(
    vals: np.ndarray, w: np.ndarray, method: str, floor: float, complete: bool = False
) -> np.ndarray:
    """Weighted arithmetic or geometric mean over the first axis (children) of ``vals``
    (children, D, units) with per-unit weights ``w`` (children, units); missing children
    drop out and the present ones are re-weighted. The geometric mean floors its inputs
    at ``floor`` (> 0). ``complete`` promises that no value is missing."""
    if method == "geometric":
        vals = np.log(np.maximum(vals, floor))
    present = None if complete else ~np.isnan(vals)
    if complete or present.all():
        out = np.einsum("cdn,cn->dn", vals, w)
    else:
        num = np.einsum("cdn,cn->dn", np.where(present, vals, 0.0), w)
        den = np.einsum("cdn,cn->dn", present.astype(float), w)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / den, np.nan)
    return np.exp(out) if method == "geometric" else out
