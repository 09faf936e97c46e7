"""The method options of one computation (docs/scoring-engine.md, Options)."""

from __future__ import annotations

from dataclasses import dataclass

from services.scoring.engine.errors import EngineError


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
