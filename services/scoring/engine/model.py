"""A scheme bound to a table: everything fixed before the first draw.

:class:`Model` sorts units by (group, unit code), applies ratio transforms, Fay–Herriot
shrinkage and the missing-data policy to the point values, fixes every node's weights
(data-driven ones from the point scores) and evaluates the whole pipeline on a stack
of value matrices (draws × units × indicators) at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from services.scoring.engine import fay_herriot, normalise, quota, weights
from services.scoring.engine.credibility import CredibilityRule
from services.scoring.engine.errors import EngineError
from services.scoring.engine.scheme import Indicator, Node, Normalisation, Scheme
from services.scoring.engine.table import Table

LOG_FLOOR = 1e-12


@dataclass(frozen=True)
class Options:
    """Method options of one computation (the scheme's ``engine`` object supplies defaults).

    ``normalisation``/``weighting`` replace every indicator's/node's method (used by the
    sensitivity mode) except those whose ids are in ``pinned`` (e.g. a run's period
    blend, which is policy rather than method); ``fay_herriot`` shrinks every ``poll``
    indicator that has SEs.
    """

    draws: int = 0
    seed: int = 0
    level: float = 0.9
    top_k: int = 3
    advanced_seats: int | None = None
    advanced_share: float | None = None
    fay_herriot: str | None = None
    credibility: dict | None = None
    geometric_floor: float = 0.01
    normalisation: str | None = None
    weighting: str | None = None
    sensitivity: bool = False
    pinned: tuple[str, ...] = ()
    near_cutoff: tuple[float, float] = (0.2, 0.8)
    memory_budget_mb: int = 256
    mc_dtype: str = "float32"
    threads: int = 2

    @classmethod
    def build(cls, scheme_options: dict | None = None, **given) -> Options:
        merged: dict = {}
        for source in (scheme_options or {}, {k: v for k, v in given.items() if v is not None}):
            for key, value in source.items():
                if key == "advanced" and isinstance(value, dict):
                    merged["advanced_seats"] = value.get("seats", merged.get("advanced_seats"))
                    merged["advanced_share"] = value.get("share", merged.get("advanced_share"))
                elif key in cls.__dataclass_fields__:
                    merged[key] = value
                else:
                    raise EngineError(f"unknown engine option {key!r}", {"options": [key]})
        given_quota = {k for k in ("advanced_seats", "advanced_share") if given.get(k) is not None}
        if len(given_quota) == 1:  # a quota given here replaces the scheme's other form
            other = ({"advanced_seats", "advanced_share"} - given_quota).pop()
            merged[other] = None
        if "near_cutoff" in merged:
            merged["near_cutoff"] = tuple(merged["near_cutoff"])
        opts = cls(**merged)
        if opts.draws < 0 or not 0 < opts.level < 1 or opts.top_k < 1:
            raise EngineError("bad options", {"options": ["draws ≥ 0, 0 < level < 1, top_k ≥ 1"]})
        return opts


@dataclass
class Layout:
    """Columns that vary (built from values and normalised) and those held constant."""

    varying: list[int]
    local: list  # (norm, direction, model index, position index, model columns)
    shared: list
    overrides: list
    discount: list  # (model column, position) of self-check columns that vary


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


@dataclass
class MissingRecord:
    """What the missing-data policy did, per unit (sorted order until reported)."""

    actions: list[list[dict]] = field(default_factory=list)


class Model:
    def __init__(self, scheme: Scheme, table: Table, options: Options):
        table.validate()
        self.scheme, self.options = scheme, options
        self.indicators: list[Indicator] = scheme.indicators
        ids = [i.id for i in self.indicators]
        col_of = {c: j for j, c in enumerate(table.indicators)}
        absent = [i for i in ids if i not in col_of]
        self.order = np.lexsort(
            (
                np.array(table.units, dtype=object).astype(str),
                np.array(table.groups, dtype=object).astype(str),
            )
        )
        self.units = [table.units[i] for i in self.order]
        self.groups = [table.groups[i] for i in self.order]
        self.group_codes = sorted(set(self.groups))
        self.segments = _segments(self.groups, self.group_codes)
        self.group_index = np.repeat(
            np.arange(len(self.segments)), [s.stop - s.start for s in self.segments]
        )
        n, k = len(self.units), len(ids)
        self.col = {c: j for j, c in enumerate(ids)}
        self.x_input = np.full((n, k), np.nan)
        se = np.full((n, k), np.nan)
        for c, j in self.col.items():
            if c in col_of:
                self.x_input[:, j] = table.values[self.order, col_of[c]]
                se[:, j] = table.se[self.order, col_of[c]]
        self.record: dict = {"absent_indicators": absent}
        self._ratios(table)
        self.excluded = self._excluded()
        self.x0 = np.where(self.excluded, np.nan, self.x_input)
        self.se0 = np.where(self.excluded | ~(se > 0) | np.isnan(self.x0), np.nan, se)
        self.fay_herriot = self._shrink()
        self.missing = self._missing_policy()
        self.direction = np.array([i.direction for i in self.indicators], dtype=float)
        self.norms = [self._norm_of(i) for i in self.indicators]
        self._check_geometric()
        rule = CredibilityRule.from_options(options.credibility)
        self.credibility_rule = rule
        rate = (
            table.discrepancy[self.order] if table.discrepancy is not None else np.full(n, np.nan)
        )
        self.credibility = rule.multiplier(rate) if rule else None
        self.self_check_cols = np.array(
            [j for j, i in enumerate(self.indicators) if i.source == "self_check"], dtype=int
        )
        self.nodes: list[Node] = scheme.nodes()
        self.base_weights: dict[str, np.ndarray] = {}
        self.unit_weights: dict[str, np.ndarray] = {}
        self.ahp: dict[str, dict] = {}
        self._plan()

    # ---- preparation -------------------------------------------------------------

    def _ratios(self, table: Table) -> None:
        for j, ind in enumerate(self.indicators):
            t = ind.transform
            fields = table.fields.get(ind.id, {})
            if t is None or t.kind != "ratio" or not fields:
                continue
            if t.numerator not in fields or t.denominator not in fields:
                raise EngineError(
                    f"ratio {ind.id} needs fields {t.numerator} and {t.denominator}",
                    {ind.id: ["missing reported field"]},
                )
            num, den = fields[t.numerator][self.order], fields[t.denominator][self.order]
            with np.errstate(invalid="ignore", divide="ignore"):
                self.x_input[:, j] = np.where(den != 0, num / den, np.nan)

    def _excluded(self) -> np.ndarray:
        out = np.zeros(self.x_input.shape, dtype=bool)
        under = _descendant_leaves(self.scheme.root)
        for ov in self.scheme.overrides:
            rows = np.array([g == ov.peer_group for g in self.groups])
            for node_id in ov.exclude:
                for leaf in under.get(node_id, [node_id]):
                    if leaf in self.col:
                        out[rows, self.col[leaf]] = True
        return out

    def _shrink(self) -> dict[str, dict]:
        out = {}
        for j, ind in enumerate(self.indicators):
            method = ind.shrinkage or (self.options.fay_herriot if ind.source == "poll" else None)
            if not method:
                continue
            rows = np.flatnonzero(~np.isnan(self.x0[:, j]) & ~np.isnan(self.se0[:, j]))
            if rows.size < 3:
                raise EngineError(
                    f"Fay–Herriot for {ind.id} needs at least 3 units with a value and an SE",
                    {ind.id: [f"{rows.size} usable units"]},
                )
            groups = self.group_index[rows]
            present = np.unique(groups)
            design = (groups[:, None] == present[None, :]).astype(float)
            target = "peer-group mean"
            if rows.size <= design.shape[1]:
                design, target = np.ones((rows.size, 1)), "overall mean (too few units per group)"
            f = fay_herriot.fit(self.x0[rows, j], self.se0[rows, j] ** 2, design, method)
            self.x0[rows, j] = f.eblup
            self.se0[rows, j] = np.sqrt(f.mse)
            gamma = np.full(len(self.units), np.nan)
            gamma[rows] = f.gamma
            mse = np.full(len(self.units), np.nan)
            mse[rows] = f.mse
            out[ind.id] = {
                "method": method,
                "toward": target,
                "sigma2_v": f.sigma2_v,
                "beta": f.beta.tolist(),
                "loglik": f.loglik,
                "converged": f.converged,
                "iterations": f.iterations,
                "gamma": gamma,
                "mse": mse,
            }
        return out

    def _missing_policy(self) -> MissingRecord:
        record = MissingRecord(actions=[[] for _ in self.units])
        policy = self.scheme.missing
        missing = np.isnan(self.x0) & ~self.excluded
        for u, j in zip(*np.nonzero(self.excluded), strict=True):
            record.actions[u].append({"indicator": self.indicators[j].id, "action": "excluded"})
        if not missing.any():
            return record
        if policy == "fail":
            errors: dict[str, list[str]] = {}
            for u, j in zip(*np.nonzero(missing), strict=True):
                errors.setdefault(f"unit {self.units[u]}", []).append(
                    f"no value for {self.indicators[j].id}"
                )
            raise EngineError("values are missing and the scheme's policy is 'fail'", errors)
        for u, j in zip(*np.nonzero(missing), strict=True):
            ind = self.indicators[j].id
            if policy == "reweight":
                record.actions[u].append({"indicator": ind, "action": "reweighted"})
                continue
            seg = self.segments[self.group_index[u]]
            peers = self.x0[seg, j]
            peers = peers[~np.isnan(peers)]
            if peers.size == 0:
                raise EngineError(
                    f"cannot impute {ind}: no unit of group {self.groups[u]} has a value",
                    {f"unit {self.units[u]}": [f"no peer value for {ind}"]},
                )
            stat = "mean" if policy == "impute_group_mean" else "median"
            value = float(np.mean(peers) if stat == "mean" else np.median(peers))
            record.actions[u].append(
                {"indicator": ind, "action": f"imputed_group_{stat}", "value": value}
            )
        if policy != "reweight":
            for u, j in zip(*np.nonzero(missing), strict=True):
                self.x0[u, j] = next(
                    a["value"]
                    for a in record.actions[u]
                    if a["indicator"] == self.indicators[j].id and "value" in a
                )
        return record

    def _norm_of(self, ind: Indicator) -> Normalisation:
        norm = ind.normalisation
        if self.options.normalisation and ind.id not in self.options.pinned:
            method = self.options.normalisation
            if method == "goalposts" and norm.method != "goalposts":
                raise EngineError(
                    "goalposts cannot replace a method without bounds", {"normalisation": [method]}
                )
            norm = replace(norm, method=method)
        return norm

    def _check_geometric(self) -> None:
        for node in self.scheme.nodes():
            if node.aggregation != "geometric":
                continue
            for child in node.children:
                if isinstance(child, Indicator) and self.norms[self.col[child.id]].method in (
                    "zscore",
                    "robust_z",
                ):
                    raise EngineError(
                        f"node {node.id} aggregates geometrically but {child.id} is normalised by "
                        f"{self.norms[self.col[child.id]].method}, which is not positive",
                        {
                            node.id: [
                                "use tscore, minmax, goalposts or percentile under a geometric mean"
                            ]
                        },
                    )

    # ---- evaluation ---------------------------------------------------------------

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
            node.id: _as_index([self.col[c.id] for c in node.children])
            for node in self.nodes
            if all(isinstance(c, Indicator) for c in node.children)
        }
        self.s_point: np.ndarray | None = None  # (K, N) normalised point scores
        self._block_cache: dict[int, list] = {}
        self._weights_cache: dict[tuple, np.ndarray] = {}
        self._layouts: dict[tuple, Layout] = {}
        self._draw_plans: dict[tuple, DrawPlan] = {}
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
                entry = (norm, direction, _as_index(mine), _as_index([pos[j] for j in mine]), mine)
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
                    leaf_index=_as_index(leaf_pos) if all_leaves else None,
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

    def _fix_weights(self, node: Node, point_values: np.ndarray) -> None:
        method = node.weighting
        if self.options.weighting and node.id not in self.options.pinned:
            method = self.options.weighting
        ids = [c.id for c in node.children]
        if method == "expert":
            base = weights.expert(
                [c.weight if c.weight is not None else np.nan for c in node.children], node.id
            )
        elif method == "equal":
            base = weights.equal(len(ids))
        elif method == "ahp":
            if node.matrix is None:
                raise EngineError(f"node {node.id} has no AHP matrix", {node.id: ["no matrix"]})
            res = weights.ahp(node.matrix, node.ri_table)
            base = res.weights
            self.ahp[node.id] = {
                "lambda_max": res.lambda_max,
                "ci": res.ci,
                "ri": res.ri,
                "cr": res.cr,
                "ri_table": res.ri_table,
            }
        elif method == "entropy":
            base = weights.entropy(point_values)
        elif method == "critic":
            base = weights.critic(point_values)
        else:
            raise EngineError(f"unknown weighting {method!r}", {node.id: [method]})
        self.base_weights[node.id] = base
        w = np.tile(base, (len(self.units), 1))
        for ov in self.scheme.overrides:
            if ov.peer_group in self.group_codes:
                seg = self.segments[self.group_codes.index(ov.peer_group)]
                for c, cid in enumerate(ids):
                    if cid in ov.weights:
                        w[seg, c] = ov.weights[cid]
        if self.credibility is not None and self.credibility_rule.mode == "weight":
            for c, child in enumerate(node.children):
                if isinstance(child, Indicator) and child.source == "self_check":
                    w[:, c] *= self.credibility
        total = w.sum(axis=1, keepdims=True)
        self.unit_weights[node.id] = np.divide(w, total, out=np.zeros_like(w), where=total > 0)


BLOCK_ELEMENTS = 1 << 18  # values per block of units: a few MB, so a block stays in cache


def _as_index(cols: list[int]):
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


def _segments(groups: list[str], codes: list[str]) -> list[slice]:
    counts = Counter(groups)
    out, start = [], 0
    for code in codes:
        out.append(slice(start, start + counts[code]))
        start += counts[code]
    return out


def _descendant_leaves(node: Node) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}

    def walk(n) -> list[str]:
        if isinstance(n, Indicator):
            return [n.id]
        leaves = [leaf for c in n.children for leaf in walk(c)]
        out[n.id] = leaves
        return leaves

    walk(node)
    return out
