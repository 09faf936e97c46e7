"""The Monte Carlo fast path: each draw rebuilds and re-normalises only the columns that
carry a standard error; every other column keeps its point score in every draw.

:class:`DrawEvaluation` adds to :class:`Evaluation` the scoring of draws x0 + z·scale
into composites and group ranks, with each node's weighted sum split into a constant
part (its exact children at their point scores) and the part that varies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scoring.engine import quota
from services.scoring.engine.evaluation import Evaluation, Layout, as_index
from services.scoring.engine.scheme import Indicator, Node


@dataclass
class DrawStep:
    node: Node
    refs: list  # ("leaf", position in the varying columns) or ("node", node id)
    leaf_index: object  # index of the varying columns when every varying child is a leaf
    weights: np.ndarray  # (varying children, units)
    const_num: np.ndarray  # Σ w·s (or w·ln s) over the constant children, per unit
    const_den: np.ndarray  # Σ w over the constant children present, per unit


@dataclass
class DrawPlan:
    steps: list[DrawStep]
    varying_nodes: set[str]


class DrawEvaluation(Evaluation):
    """Scoring Monte Carlo draws (see the module docstring)."""

    def evaluate_draws(
        self,
        z: np.ndarray,
        scale: np.ndarray,
        noisy: list[int],
        composite: np.ndarray,
        ranks: np.ndarray,
        pool=None,
    ) -> list:
        """Score the draws x0 + z·scale (on the columns ``noisy``) into ``composite`` and
        their group ranks into ``ranks`` (both D × N).

        ``z`` (len(noisy), D, N) holds standard normal variates and ``scale``
        (len(noisy), N) the standard errors (0 where a value is exact). Only the noisy
        columns are built and normalised — an exact column's normalised scores are the
        point ones in every draw — block by block, so no (K, D, N) array is held. With a
        thread ``pool`` the blocks are split into two halves scored concurrently (NumPy
        releases the GIL); the futures are returned, each writes only its own units.
        """
        d = z.shape[1]
        x0n = self.x0.T[noisy].astype(z.dtype)
        layout = self.layout(noisy)

        def values_of(rows, cols):
            if cols is layout.varying:
                out = z[:, :, rows] * scale[:, None, rows]
                out += x0n[:, None, rows]
                return out
            pos = [noisy.index(j) for j in cols]
            return np.stack([z[p][:, rows] * scale[p, rows] + x0n[p, rows] for p in pos])

        shared = self._shared_scores(values_of, False, layout)
        blocks = self._blocks(d, point=False)
        plan = self._draw_plan(layout, z.dtype)
        root = self.scheme.root.id

        def run(part):
            self._evaluate_draw_blocks(values_of, part, shared, composite, layout, plan)
            for bs, _, gids in part:
                segs = [
                    slice(self.segments[g].start - bs.start, self.segments[g].stop - bs.start)
                    for g in gids
                ]
                ranks[:, bs] = quota.rank_within(composite[:, bs], segs)

        if root not in plan.varying_nodes:  # nothing carries an SE: every draw is the point
            composite[...] = self.node_point[root]
            ranks[...] = quota.rank_within(composite, self.segments)
            return []
        if pool is None:
            run(blocks)
            return []
        return [pool.submit(run, part) for part in _halves(blocks) if part]

    def _draw_plan(self, layout: Layout, dtype) -> DrawPlan:
        """Per node, the constant part of its weighted sum (children that carry no SE,
        at their point scores) and the weights of the children that vary."""
        key = (tuple(layout.varying), np.dtype(dtype).str)
        if key in self._draw_plans:
            return self._draw_plans[key]
        pos = {j: p for p, j in enumerate(layout.varying)}
        varying_nodes: set[str] = set()
        steps = []
        floor = self.options.geometric_floor
        for node in self.nodes:
            refs, const = [], []
            for c, child in enumerate(node.children):
                if isinstance(child, Indicator) and self.col[child.id] in pos:
                    refs.append((c, "leaf", pos[self.col[child.id]]))
                elif isinstance(child, Node) and child.id in varying_nodes:
                    refs.append((c, "node", child.id))
                else:
                    const.append(c)
            if not refs:
                continue
            varying_nodes.add(node.id)
            w = self.unit_weights[node.id]
            num = np.zeros(len(self.units))
            den = np.zeros(len(self.units))
            if const:
                vals = np.stack([self._point_value(node.children[c]) for c in const], axis=1)
                if node.aggregation == "geometric":
                    vals = np.log(np.maximum(vals, floor))
                present = ~np.isnan(vals)
                num = np.sum(np.where(present, vals, 0.0) * w[:, const], axis=1)
                den = np.sum(present * w[:, const], axis=1)
            leaf_pos = [r[2] for r in refs if r[1] == "leaf"]
            all_leaves = len(leaf_pos) == len(refs)
            steps.append(
                DrawStep(
                    node=node,
                    refs=[r[1:] for r in refs],
                    leaf_index=as_index(leaf_pos) if all_leaves else None,
                    weights=np.ascontiguousarray(w[:, [r[0] for r in refs]].T, dtype=dtype),
                    const_num=num.astype(dtype),
                    const_den=den.astype(dtype),
                )
            )
        plan = DrawPlan(steps=steps, varying_nodes=varying_nodes)
        self._draw_plans[key] = plan
        return plan

    def _point_value(self, child) -> np.ndarray:
        if isinstance(child, Indicator):
            return self.s_point[self.col[child.id]]
        return self.node_point[child.id]

    def _evaluate_draw_blocks(self, values_of, blocks, shared, composite, layout, plan) -> None:
        """The pipeline for draws over ``blocks``: only varying columns are normalised and
        only the varying part of each node's weighted sum is added to its constant part."""
        floor = self.options.geometric_floor
        for bs, segs, gids in blocks:
            xv = values_of(bs, layout.varying)
            self.prepare(xv, layout.varying, False)
            sv = np.empty_like(xv)
            for norm, direction, _, pos, _ in layout.local:
                sv[pos] = self._apply(xv[pos], norm, direction, segs)
            for p, (_, _, _, pos, _) in enumerate(layout.shared):
                sv[pos] = shared[("plan", p)][..., bs]
            for g, j, _ in layout.overrides:
                if g in gids:
                    seg = self.segments[g]
                    rows = slice(seg.start - bs.start, seg.stop - bs.start)
                    sv[layout.varying.index(j), :, rows] = shared[("override", g, j)][0, :, seg]
            if self.credibility is not None and self.credibility_rule.mode == "value":
                self._discount_values(sv, bs, segs, [p for _, p in layout.discount])
            values: dict[str, np.ndarray] = {}
            for step in plan.steps:
                if step.leaf_index is not None:
                    vals = sv[step.leaf_index]
                else:
                    vals = np.stack(
                        [sv[r] if kind == "leaf" else values[r] for kind, r in step.refs]
                    )
                geometric = step.node.aggregation == "geometric"
                if geometric:
                    vals = np.maximum(vals, floor)
                    np.log(vals, out=vals)
                w = step.weights[:, bs]
                if self.complete:
                    out = np.einsum("cdn,cn->dn", vals, w)
                    out += step.const_num[bs]
                else:
                    present = ~np.isnan(vals)
                    num = (
                        np.einsum("cdn,cn->dn", np.where(present, vals, 0.0), w)
                        + step.const_num[bs]
                    )
                    den = (
                        np.einsum("cdn,cn->dn", present.astype(vals.dtype), w) + step.const_den[bs]
                    )
                    out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
                values[step.node.id] = np.exp(out, out=out) if geometric else out
            composite[:, bs] = values[self.scheme.root.id]


def _halves(blocks: list) -> list[list]:
    """Split consecutive unit blocks into two runs of about equal units."""
    total = sum(bs.stop - bs.start for bs, _, _ in blocks)
    acc, cut = 0, len(blocks)
    for i, (bs, _, _) in enumerate(blocks):
        acc += bs.stop - bs.start
        if acc >= total / 2:
            cut = i + 1
            break
    return [blocks[:cut], blocks[cut:]]
