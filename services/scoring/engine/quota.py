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

    Units are already sorted by (group, unit code), so the stable sort breaks exact
    ties by unit code; a missing (NaN) value ranks last.
    """
    ranks = np.empty(values.shape, dtype=np.int32)
    for seg in segments:
        part = values[..., seg]
        order = np.argsort(np.where(np.isnan(part), np.inf, -part), axis=-1, kind="stable")
        r = np.empty(order.shape, dtype=np.int32)
        positions = np.broadcast_to(np.arange(1, part.shape[-1] + 1, dtype=np.int32), order.shape)
        np.put_along_axis(r, order, positions, axis=-1)
        ranks[..., seg] = r
    return ranks
