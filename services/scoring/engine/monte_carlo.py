"""Monte Carlo propagation of sampling error (docs/scoring-engine.md, Uncertainty).

Each value with a standard error (poll SE, shrunk MSE, inspection spread) is drawn from
N(value, se²) and the whole pipeline is re-run per draw with the weights fixed at their
point values. Draws come in blocks of ``BLOCK_DRAWS``; block b uses its own PCG64 stream
seeded by ``SeedSequence(seed).spawn`` child b, so a result depends only on (inputs,
options, seed) — not on the chunk size the memory budget picks — and is bit-for-bit
repeatable.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from services.scoring.engine.model import Model
from services.scoring.engine.result import Uncertainty

BLOCK_DRAWS = 8


def simulate(model: Model, seat_of_unit: np.ndarray | None) -> Uncertainty:
    """Intervals, rank intervals, P(top k) and P(advanced) of ``model``'s units from
    ``model.options.draws`` draws (``seat_of_unit``: the seats of each unit's group)."""
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
    c_lo, c_hi = quantiles(comp, alpha, "linear")
    r_lo, r_hi = quantiles(ranks, alpha, "inverted_cdf")
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


def quantiles(a: np.ndarray, alpha: float, method: str, block: int = 4096):
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
