"""``compute``: scheme + values + method options + seed → :class:`Result`.

Point pipeline: ratio → Fay–Herriot → missing-data policy → cap/log → direction →
winsorise/normalise (per peer group or across all) → credibility → weighted
aggregation up the tree → composite → rank within group → "advanced" awards.

Monte Carlo (``draws`` > 0): each value with a standard error (poll SE, shrunk MSE,
inspection spread) is drawn from N(value, se²) and the whole pipeline is re-run per draw
with the weights fixed at their point values. Draws come in blocks of
``BLOCK_DRAWS``; block b uses its own PCG64 stream seeded by
``SeedSequence(seed).spawn`` child b, so a result depends only on (inputs, options,
seed) — not on the chunk size the memory budget picks — and is bit-for-bit repeatable.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from services.scoring.engine import quota
from services.scoring.engine.diagnostics import goalpost_warnings
from services.scoring.engine.model import Model, Options
from services.scoring.engine.scheme import Indicator, Node, Scheme
from services.scoring.engine.table import Table

BLOCK_DRAWS = 8
SENSITIVITY_NORMALISATIONS = ("zscore", "robust_z", "minmax", "percentile")
SENSITIVITY_WEIGHTINGS = ("equal", "entropy", "critic")


@dataclass
class Uncertainty:
    draws: int
    seed: int
    level: float
    top_k: int
    composite_mean: np.ndarray
    composite_lo: np.ndarray
    composite_hi: np.ndarray
    rank_lo: np.ndarray
    rank_hi: np.ndarray
    p_top_k: np.ndarray
    p_advanced: np.ndarray | None
    near_cutoff: np.ndarray | None


@dataclass
class Result:
    """Per-unit arrays in the table's unit order; ``indicators``/``nodes`` name columns."""

    units: list[str]
    groups: list[str]
    indicators: list[str]
    nodes: list[str]
    values: np.ndarray  # (N, K) values used: after ratio, shrinkage and imputation
    normalised: np.ndarray  # (N, K) after direction, normalisation and credibility
    contributions: np.ndarray  # (N, K) sum over K = composite
    node_scores: dict[str, np.ndarray]
    composite: np.ndarray
    rank: np.ndarray
    group_size: np.ndarray
    seats: dict[str, int] | None
    advanced: np.ndarray | None
    missing: list[list[dict]]
    credibility: np.ndarray | None
    weights: dict[str, dict[str, float]]
    ahp: dict[str, dict]
    fay_herriot: dict[str, dict]
    uncertainty: Uncertainty | None
    sensitivity: dict | None
    method: dict = field(default_factory=dict)

    def rows(self) -> list[dict]:
        """One flat record per unit (for CSV), groups together, best first."""
        out = []
        for i in np.lexsort((self.rank, np.array(self.groups))):
            row = {
                "unit": self.units[i],
                "group": self.groups[i],
                "composite": _num(self.composite[i]),
                "rank": int(self.rank[i]),
                "group_size": int(self.group_size[i]),
            }
            u = self.uncertainty
            if u is not None:
                row.update(
                    {
                        "composite_mean": _num(u.composite_mean[i]),
                        "composite_lo": _num(u.composite_lo[i]),
                        "composite_hi": _num(u.composite_hi[i]),
                        "rank_lo": int(u.rank_lo[i]),
                        "rank_hi": int(u.rank_hi[i]),
                        f"p_top_{u.top_k}": _num(u.p_top_k[i]),
                    }
                )
                if u.p_advanced is not None:
                    row["p_advanced"] = _num(u.p_advanced[i])
                    row["near_cutoff"] = bool(u.near_cutoff[i])
            if self.advanced is not None:
                row["advanced"] = bool(self.advanced[i])
            for node, scores in self.node_scores.items():
                row[f"score:{node}"] = _num(scores[i])
            for j, ind in enumerate(self.indicators):
                row[f"value:{ind}"] = _num(self.values[i, j])
                row[f"normalised:{ind}"] = _num(self.normalised[i, j])
                row[f"contribution:{ind}"] = _num(self.contributions[i, j])
            row["missing"] = "; ".join(f"{a['indicator']} {a['action']}" for a in self.missing[i])
            out.append(row)
        return out

    def to_dict(self) -> dict:
        """JSON-ready: the method record, weights, fits and one object per unit."""
        fh = {
            k: {**v, "gamma": _list(v["gamma"]), "mse": _list(v["mse"])}
            for k, v in self.fay_herriot.items()
        }
        units = []
        for row, i in zip(self.rows(), np.lexsort((self.rank, np.array(self.groups))), strict=True):
            row = {k: v for k, v in row.items() if ":" not in k and k != "missing"}
            row["indicators"] = {
                ind: {
                    "value": _num(self.values[i, j]),
                    "normalised": _num(self.normalised[i, j]),
                    "contribution": _num(self.contributions[i, j]),
                }
                for j, ind in enumerate(self.indicators)
            }
            row["nodes"] = {n: _num(s[i]) for n, s in self.node_scores.items()}
            row["missing"] = self.missing[i]
            if self.credibility is not None:
                row["credibility"] = _num(self.credibility[i])
            units.append(row)
        return {
            "method": self.method,
            "weights": self.weights,
            "ahp": self.ahp,
            "fay_herriot": fh,
            "seats": self.seats,
            "sensitivity": self.sensitivity,
            "units": units,
        }


def compute(
    scheme: Scheme, table: Table, options: Options | None = None, **option_values
) -> Result:
    """Score ``table`` under ``scheme``; ``options`` or keyword options (``seed``,
    ``draws``, ``level``, ``top_k``, ``advanced_seats``/``advanced_share``,
    ``fay_herriot``, ``credibility``, ``sensitivity`` …) over the scheme's ``engine``
    defaults. Raises EngineError for a bad scheme, table or option."""
    if options is None:
        options = Options.build(scheme.options, **option_values)
    model = Model(scheme, table, options)
    scores, s_kdn = model.evaluate(model.x0.T[:, None, :], point=True)
    model.s_point = s_kdn[:, 0, :]
    model.node_point = {k: v[0] for k, v in scores.items()}
    s = s_kdn.transpose(1, 2, 0)
    composite = scores[scheme.root.id][0]
    rank = quota.rank_within(composite, model.segments)
    sizes = {
        g: seg.stop - seg.start for g, seg in zip(model.group_codes, model.segments, strict=True)
    }
    total = quota.seats_total(len(model.units), options.advanced_seats, options.advanced_share)
    seats = quota.hamilton(sizes, total) if total is not None else None
    seat_of_unit = np.array([seats[g] for g in model.groups]) if seats else None
    advanced = rank <= seat_of_unit if seats else None
    uncertainty = _monte_carlo(model, seat_of_unit) if options.draws > 0 else None
    sensitivity = _sensitivity(scheme, table, options, model, rank) if options.sensitivity else None
    inv = np.argsort(model.order)
    contributions = _contributions(model, scores, s[0])
    group_size = np.array([sizes[g] for g in model.groups])
    if uncertainty is not None:
        for name in (
            "composite_mean",
            "composite_lo",
            "composite_hi",
            "rank_lo",
            "rank_hi",
            "p_top_k",
            "p_advanced",
            "near_cutoff",
        ):
            value = getattr(uncertainty, name)
            if value is not None:
                setattr(uncertainty, name, value[inv])
    missing = [model.missing.actions[i] for i in inv]
    return Result(
        units=[model.units[i] for i in inv],
        groups=[model.groups[i] for i in inv],
        indicators=[i.id for i in model.indicators],
        nodes=[n.id for n in model.nodes],
        values=model.x0[inv],
        normalised=s[0][inv],
        contributions=contributions[inv],
        node_scores={k: v[0][inv] for k, v in scores.items()},
        composite=composite[inv],
        rank=rank[inv],
        group_size=group_size[inv],
        seats=seats,
        advanced=advanced[inv] if advanced is not None else None,
        missing=missing,
        credibility=model.credibility[inv] if model.credibility is not None else None,
        weights={
            n.id: dict(
                zip([c.id for c in n.children], model.base_weights[n.id].tolist(), strict=True)
            )
            for n in model.nodes
        },
        ahp=model.ahp,
        fay_herriot={
            k: {**v, "gamma": v["gamma"][inv], "mse": v["mse"][inv]}
            for k, v in model.fay_herriot.items()
        },
        uncertainty=uncertainty,
        sensitivity=sensitivity,
        method=_method_record(scheme, options, model),
    )


def _monte_carlo(model: Model, seat_of_unit: np.ndarray | None) -> Uncertainty:
    opts = model.options
    n, k = model.x0.shape
    noisy = sorted(set(np.nonzero(~np.isnan(model.se0) & ~np.isnan(model.x0))[1].tolist()))
    dtype = np.dtype(opts.mc_dtype)
    scale = (np.nan_to_num(model.se0[:, noisy]) * ~np.isnan(model.x0[:, noisy])).T.astype(dtype)
    m = len(noisy)
    blocks = -(-opts.draws // BLOCK_DRAWS)
    streams = np.random.SeedSequence(opts.seed).spawn(blocks)
    per_block = BLOCK_DRAWS * n * max(m, 1) * dtype.itemsize
    chunk_blocks = max(1, min(blocks, (opts.memory_budget_mb << 20) // per_block))
    comp = np.empty((opts.draws, n), dtype=dtype)
    largest = max(seg.stop - seg.start for seg in model.segments)
    ranks = np.empty((opts.draws, n), dtype=np.int16 if largest < 2**15 else np.int32)
    scratch = np.empty(BLOCK_DRAWS * m * n // 2 + 1, dtype=dtype)

    def draw(first: int, buf: np.ndarray) -> tuple[int, int, np.ndarray]:
        chunk = range(first, min(blocks, first + chunk_blocks))
        for i, b in enumerate(chunk):
            standard_normals(streams[b], buf[i * BLOCK_DRAWS : (i + 1) * BLOCK_DRAWS], scratch)
        lo, hi = first * BLOCK_DRAWS, min(opts.draws, (chunk[-1] + 1) * BLOCK_DRAWS)
        return lo, hi, buf[: hi - lo]

    # With threads, two halves of the units are scored concurrently (NumPy releases the
    # GIL) while the next chunk is drawn into the other buffer. Every task writes only
    # its own rows and units, so the result does not depend on the timing.
    threaded = opts.threads > 1
    buffers = [
        np.empty((chunk_blocks * BLOCK_DRAWS, m, n), dtype=dtype)
        for _ in range(2 if threaded else 1)
    ]
    with ThreadPoolExecutor(max_workers=max(1, opts.threads)) as pool:
        pending: list = []
        for index, first in enumerate(range(0, blocks, chunk_blocks)):
            lo, hi, z = draw(first, buffers[index % len(buffers)])
            for future in pending:
                future.result()
            pending = model.evaluate_draws(
                z.transpose(1, 0, 2),
                scale,
                noisy,
                comp[lo:hi],
                ranks[lo:hi],
                pool if threaded else None,
            )
        for future in pending:
            future.result()
    top = np.sum(ranks <= opts.top_k, axis=0)
    awarded = np.sum(ranks <= seat_of_unit, axis=0) if seat_of_unit is not None else None
    alpha = (1.0 - opts.level) / 2.0
    c_lo, c_hi = _quantiles(comp, alpha, "linear")
    r_lo, r_hi = _quantiles(ranks, alpha, "inverted_cdf")
    p_adv = awarded / opts.draws if seat_of_unit is not None else None
    low, high = opts.near_cutoff
    return Uncertainty(
        draws=opts.draws,
        seed=opts.seed,
        level=opts.level,
        top_k=opts.top_k,
        composite_mean=comp.mean(axis=0, dtype=np.float64),
        composite_lo=c_lo,
        composite_hi=c_hi,
        rank_lo=r_lo.astype(int),
        rank_hi=r_hi.astype(int),
        p_top_k=top / opts.draws,
        p_advanced=p_adv,
        near_cutoff=((p_adv >= low) & (p_adv <= high)) if p_adv is not None else None,
    )


def standard_normals(
    stream: np.random.SeedSequence, out: np.ndarray, scratch: np.ndarray | None = None
) -> None:
    """Fill ``out`` (an even number of cells) with standard normal variates from the
    PCG64 stream seeded by ``stream``: Box–Muller on uniforms, z₁ = r cos θ,
    z₂ = r sin θ with r = √(−2 ln(1 − u₁)), θ = 2π u₂ (Box & Muller 1958). Only drawing the
    uniforms holds the GIL; the rest is NumPy arithmetic. With float32 uniforms
    (resolution 2⁻²⁴) |z| ≤ 5.77, a tail of probability 8·10⁻⁹ left out. ``scratch``
    (at least half of ``out``'s cells, same dtype) saves allocating a temporary."""
    flat = out.reshape(-1)
    np.random.Generator(np.random.PCG64(stream)).random(out=flat, dtype=out.dtype)
    half = flat.size // 2
    r, theta = flat[:half], flat[half:]
    np.subtract(1.0, r, out=r)
    np.log(r, out=r)
    r *= -2.0
    np.sqrt(r, out=r)
    theta *= out.dtype.type(2.0 * np.pi)
    cos = np.empty_like(r) if scratch is None else scratch.reshape(-1)[:half]
    np.cos(theta, out=cos)
    cos *= r
    np.sin(theta, out=theta)
    theta *= r
    r[...] = cos


def _quantiles(a: np.ndarray, alpha: float, method: str, block: int = 4096):
    """Per-unit quantiles alpha and 1 − alpha of a (draws, units) array: ``linear``
    (Hyndman–Fan type 7) or ``inverted_cdf`` (type 1), as ``np.quantile`` defines them,
    from a sort of each unit's draws (a SIMD sort here is faster than selection)."""
    d = a.shape[0]
    lo = np.empty(a.shape[1])
    hi = np.empty(a.shape[1])
    for start in range(0, a.shape[1], block):
        part = np.sort(np.ascontiguousarray(a[:, start : start + block].T), axis=1)
        for q, out in ((alpha, lo), (1.0 - alpha, hi)):
            if method == "inverted_cdf":
                out[start : start + block] = part[:, max(int(np.ceil(d * q)) - 1, 0)]
            else:
                h = (d - 1) * q
                j = int(np.floor(h))
                below = part[:, j].astype(np.float64)
                above = part[:, min(j + 1, d - 1)].astype(np.float64)
                out[start : start + block] = below + (h - j) * (above - below)
    return lo, hi


def _contributions(model: Model, scores: dict, s: np.ndarray) -> np.ndarray:
    """Split the composite down the tree: a child's share of its node's contribution is
    w_c·v_c / Σ w·v over present children (exact for arithmetic nodes; for geometric
    nodes the split is by the same arithmetic shares of the geometric value)."""
    n, k = s.shape
    out = np.zeros((n, k))

    def walk(node: Node, share: np.ndarray) -> None:
        vals = np.stack(
            [
                scores[c.id][0] if isinstance(c, Node) else s[:, model.col[c.id]]
                for c in node.children
            ],
            axis=1,
        )
        w = model.unit_weights[node.id]
        part = np.where(np.isnan(vals), 0.0, vals) * w
        total = part.sum(axis=1, keepdims=True)
        wsum = np.where(np.isnan(vals), 0.0, w)
        fallback = wsum / np.where(
            wsum.sum(axis=1, keepdims=True) > 0, wsum.sum(axis=1, keepdims=True), 1.0
        )
        frac = np.where(total != 0, part / np.where(total != 0, total, 1.0), fallback)
        for c, child in enumerate(node.children):
            sub = np.nan_to_num(share) * frac[:, c]
            if isinstance(child, Node):
                walk(child, sub)
            else:
                out[:, model.col[child.id]] = sub

    walk(model.scheme.root, scores[model.scheme.root.id][0])
    return out


def _sensitivity(
    scheme: Scheme, table: Table, options: Options, model: Model, base_rank: np.ndarray
) -> dict:
    """Re-run the point pipeline with every indicator's normalisation, then every node's
    weighting, replaced in turn; report how group ranks move against the scheme's own."""
    variants: dict[str, dict] = {}
    moves = np.zeros((0, len(model.units)))
    inv = np.argsort(model.order)
    plain = {k: getattr(options, k) for k in options.__dataclass_fields__}
    plain.update(draws=0, sensitivity=False, advanced_seats=None, advanced_share=None)
    for kind, names in (
        ("normalisation", SENSITIVITY_NORMALISATIONS),
        ("weighting", SENSITIVITY_WEIGHTINGS),
    ):
        for name in names:
            label = f"{kind}={name}"
            try:
                alt = compute(scheme, table, Options(**{**plain, kind: name}))
            except ValueError as exc:
                variants[label] = {"skipped": str(exc)}
                continue
            shift = alt.rank - base_rank[inv]
            moves = np.vstack([moves, np.abs(shift)])
            variants[label] = {
                "mean_abs_shift": float(np.mean(np.abs(shift))),
                "max_abs_shift": int(np.max(np.abs(shift))),
                "rank": alt.rank.tolist(),
            }
    worst = moves.max(axis=0) if moves.size else np.zeros(len(model.units))
    return {
        "variants": variants,
        "units": [model.units[i] for i in inv],
        "max_abs_shift_per_unit": worst.astype(int).tolist(),
    }


def _method_record(scheme: Scheme, options: Options, model: Model) -> dict:
    return {
        "normalisation": {
            i.id: {
                "method": n.method,
                "scope": n.scope,
                "winsorise": n.winsorise,
                "goalposts": [n.lower, n.upper] if n.method == "goalposts" else None,
                "direction": "higher" if i.direction > 0 else "lower",
                "transform": i.transform.kind if i.transform else None,
            }
            for i, n in zip(model.indicators, model.norms, strict=True)
        },
        "aggregation": {n.id: n.aggregation for n in model.nodes},
        "weighting": {n.id: n.weighting if n.id in options.pinned or not options.weighting
                      else options.weighting for n in model.nodes},
        "missing": scheme.missing,
        "credibility": options.credibility,
        "fay_herriot": {k: v["method"] for k, v in model.fay_herriot.items()},
        "geometric_floor": options.geometric_floor,
        "robust_z_scale": 1.4826,
        "monte_carlo": {
            "draws": options.draws,
            "seed": options.seed,
            "level": options.level,
            "block_draws": BLOCK_DRAWS,
            "generator": "PCG64 via SeedSequence.spawn",
        },
        "advanced": {
            "seats": options.advanced_seats,
            "share": options.advanced_share,
            "apportionment": "largest remainder (Hamilton); ties: larger group, then group code",
            "tie_break": "unit code",
        },
        "absent_indicators": model.record["absent_indicators"],
        "warnings": goalpost_warnings(model),
    }


def _num(v) -> float | None:
    v = float(v)
    return None if np.isnan(v) else v


def _list(a) -> list:
    return [_num(v) for v in a]


__all__ = ["Indicator", "Result", "Uncertainty", "compute"]
