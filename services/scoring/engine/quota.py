"""The "advanced" quota: seats per peer group by largest remainder, then top units.

Hamilton's method: quota_g = S · N_g / N; each group gets ⌊quota_g⌋, and the seats
left go one each to the largest fractional remainders. Ties between equal remainders
go to the larger group, then to the group code that sorts first — a stated,
deterministic rule.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from services.scoring.engine.errors import EngineError


def hamilton(sizes: dict[str, int], seats: int) -> dict[str, int]:
    """Seats per group for ``seats`` in total; exact rational arithmetic, so remainders
    that are equal on paper compare equal. Raises EngineError if seats exceed units."""
    total = sum(sizes.values())
    if seats < 0 or seats > total:
        raise EngineError(
            f"cannot award {seats} seats among {total} units", {"advanced": ["seats out of range"]}
        )
    if total == 0:
        return {g: 0 for g in sizes}
    quotas = {g: Fraction(seats * n, total) for g, n in sizes.items()}
    out = {g: int(q) for g, q in quotas.items()}
    left = seats - sum(out.values())
    order = sorted(sizes, key=lambda g: (-(quotas[g] - out[g]), -sizes[g], g))
    for g in order[:left]:
        out[g] += 1
    return out


def seats_total(n_units: int, seats: int | None = None, share: float | None = None) -> int | None:
    """Total seats: ``seats`` as given, else round-half-up of ``share`` × units; None if neither."""
    if seats is not None:
        return int(seats)
    if share is not None:
        if not 0 <= share <= 1:
            raise EngineError("advanced share must lie in [0, 1]", {"advanced": [str(share)]})
        return int(Fraction(str(share)) * n_units + Fraction(1, 2))
    return None


def rank_within(values: np.ndarray, segments: list[slice]) -> np.ndarray:
    """Rank 1 = highest value within each segment along the last axis.

    Units are already sorted by (group, unit code), so exact ties go to the unit code
    that sorts first; a missing (NaN) value ranks last. float32 values (the Monte Carlo
    draws) are ranked through one 64-bit key per unit — the value's order-preserving
    bits above the unit's position — which a plain (SIMD) sort orders exactly as the
    stable argsort of float64 values does.
    """
    ranks = np.empty(values.shape, dtype=np.int32)
    for seg in segments:
        part = values[..., seg]
        n = part.shape[-1]
        if part.dtype == np.float32 and n < 2**31:
            key = _descending_key(part) << np.uint64(32)
            key |= np.arange(n, dtype=np.uint64)
            order = (np.sort(key, axis=-1) & np.uint64(0xFFFFFFFF)).astype(np.intp)
        else:
            order = np.argsort(np.where(np.isnan(part), np.inf, -part), axis=-1, kind="stable")
        r = np.empty(order.shape, dtype=np.int32)
        positions = np.broadcast_to(np.arange(1, n + 1, dtype=np.int32), order.shape)
        np.put_along_axis(r, order, positions, axis=-1)
        ranks[..., seg] = r
    return ranks


def _descending_key(x: np.ndarray) -> np.ndarray:
    """uint64 keys whose ascending order is x's descending order, NaN last."""
    v = np.where(np.isnan(x), np.float32(np.inf), -x).astype(np.float32) + np.float32(0.0)
    bits = v.view(np.uint32)
    flip = np.where(bits >> np.uint32(31), np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    return (bits ^ flip).astype(np.uint64)
