"""``compute``: scheme + values + method options + seed → :class:`Result`.

Point pipeline: ratio → Fay–Herriot → missing-data policy → cap/log → direction →
winsorise/normalise (per peer group or across all) → credibility → weighted
aggregation up the tree → composite → rank within group → "advanced" awards.

Monte Carlo (``draws`` > 0): :func:`services.scoring.engine.monte_carlo.simulate`.
Sensitivity: the point pipeline again with every normalisation, then every weighting,
replaced in turn.
"""

from __future__ import annotations

import numpy as np

from services.scoring.engine import quota
from services.scoring.engine.diagnostics import goalpost_warnings
from services.scoring.engine.model import Model
from services.scoring.engine.monte_carlo import BLOCK_DRAWS, simulate
from services.scoring.engine.options import Options
from services.scoring.engine.result import Result
from services.scoring.engine.scheme import Node, Scheme
from services.scoring.engine.table import Table

SENSITIVITY_NORMALISATIONS = ("zscore", "robust_z", "minmax", "percentile")
SENSITIVITY_WEIGHTINGS = ("equal", "entropy", "critic")


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
    uncertainty = simulate(model, seat_of_unit) if options.draws > 0 else None
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
