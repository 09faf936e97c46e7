"""AAPOR outcome rates (Standard Definitions, 10th ed., 2023) from disposition counts.

I complete, P partial, R refusal and break-off, NC non-contact, O other eligible
non-interview, UH / UO unknown eligibility (household / other), NE not eligible.
``e`` is the estimated share of unknown-eligibility cases that are eligible; when not
given it is estimated from the resolved cases ("proportional allocation", the CASRO
method): e = (I+P+R+NC+O) / (I+P+R+NC+O + NE).

Formulas exactly as in DESIGN.md; a rate whose denominator is zero, or that needs an
``e`` that cannot be estimated, is None with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from .errors import EstimationError

RATE_NAMES = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6",
    "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3",
    "CON1", "CON2", "CON3",
)
E_METHOD_RESOLVED = "resolved: e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)"
E_METHOD_GIVEN = "given"


@dataclass(frozen=True)
class Dispositions:
    """Final disposition counts of a sample (one township or all)."""

    I: int = 0  # noqa: E741  (AAPOR's own letter)
    P: int = 0
    R: int = 0
    NC: int = 0
    O: int = 0  # noqa: E741
    UH: int = 0
    UO: int = 0
    NE: int = 0

    def __post_init__(self):
        for name, value in asdict(self).items():
            if value < 0:
                raise EstimationError(f"disposition count {name} is negative",
                                      errors={name: ["negative count"]})

    def __add__(self, other: Dispositions) -> Dispositions:
        a, b = asdict(self), asdict(other)
        return Dispositions(**{k: a[k] + b[k] for k in a})

    @classmethod
    def total(cls, items: Iterable[Dispositions]) -> Dispositions:
        """Sum of several townships' counts (for the overall rates)."""
        out = cls()
        for item in items:
            out = out + item
        return out


@dataclass(frozen=True)
class OutcomeRates:
    """rates: name -> value in [0, 1] or None; reasons: name -> why it is None;
    e: the e used for RR3/RR4/REF2/CON2 (None if neither given nor estimable)."""

    rates: dict[str, float | None]
    e: float | None
    e_method: str
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"rates": dict(self.rates), "e": self.e, "e_method": self.e_method,
                "reasons": dict(self.reasons)}


def estimate_e(d: Dispositions) -> float | None:
    """Share of resolved cases that are eligible; None when no case is resolved."""
    eligible = d.I + d.P + d.R + d.NC + d.O
    resolved = eligible + d.NE
    return eligible / resolved if resolved > 0 else None


def outcome_rates(d: Dispositions, e: float | None = None) -> OutcomeRates:
    """RR1–RR6, COOP1–4, REF1–3, CON1–3 of ``d`` with ``e`` given (0 ≤ e ≤ 1) or
    estimated from the resolved cases. Raises EstimationError for e outside [0, 1]."""
    if e is not None and not 0.0 <= e <= 1.0:
        raise EstimationError("e must be between 0 and 1", errors={"e": ["out of range"]})
    method = E_METHOD_GIVEN if e is not None else E_METHOD_RESOLVED
    e_used = e if e is not None else estimate_e(d)
    ip = d.I + d.P
    known = ip + d.R + d.NC + d.O
    unknown = d.UH + d.UO
    all_cases = known + unknown
    with_e = None if e_used is None else known + e_used * unknown
    contacted_all = ip + d.R + d.O
    contacted_no_o = ip + d.R
    spec = {
        "RR1": (d.I, all_cases, "I+P+R+NC+O+UH+UO"),
        "RR2": (ip, all_cases, "I+P+R+NC+O+UH+UO"),
        "RR3": (d.I, with_e, "I+P+R+NC+O+e(UH+UO)"),
        "RR4": (ip, with_e, "I+P+R+NC+O+e(UH+UO)"),
        "RR5": (d.I, known, "I+P+R+NC+O"),
        "RR6": (ip, known, "I+P+R+NC+O"),
        "COOP1": (d.I, contacted_all, "I+P+R+O"),
        "COOP2": (ip, contacted_all, "I+P+R+O"),
        "COOP3": (d.I, contacted_no_o, "I+P+R"),
        "COOP4": (ip, contacted_no_o, "I+P+R"),
        "REF1": (d.R, all_cases, "I+P+R+NC+O+UH+UO"),
        "REF2": (d.R, with_e, "I+P+R+NC+O+e(UH+UO)"),
        "REF3": (d.R, known, "I+P+R+NC+O"),
        "CON1": (contacted_all, all_cases, "I+P+R+NC+O+UH+UO"),
        "CON2": (contacted_all, with_e, "I+P+R+NC+O+e(UH+UO)"),
        "CON3": (contacted_all, known, "I+P+R+NC+O"),
    }
    rates: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    for name in RATE_NAMES:
        num, den, label = spec[name]
        if den is None:
            rates[name] = None
            reasons[name] = "e cannot be estimated: no resolved cases (I+P+R+NC+O+NE = 0)"
        elif den <= 0:
            rates[name] = None
            reasons[name] = f"denominator {label} is zero"
        else:
            rates[name] = num / den
    return OutcomeRates(rates, e_used, method, reasons)
