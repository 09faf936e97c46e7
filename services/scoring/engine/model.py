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

from services.scoring.engine import fay_herriot, weights
from services.scoring.engine.credibility import CredibilityRule
from services.scoring.engine.draws import DrawEvaluation
from services.scoring.engine.errors import EngineError
from services.scoring.engine.options import Options
from services.scoring.engine.scheme import Indicator, Node, Normalisation, Scheme
from services.scoring.engine.table import Table


@dataclass
class MissingRecord:
    """What the missing-data policy did, per unit (sorted order until reported)."""

    actions: list[list[dict]] = field(default_factory=list)


class Model(DrawEvaluation):
    """A scheme bound to a table (the module docstring); the evaluation of value stacks
    comes from :class:`DrawEvaluation` and :class:`Evaluation`."""


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
