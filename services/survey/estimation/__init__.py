"""Survey estimation: pure NumPy/SciPy (no Flask, no database). Arrays in, results out.

Typical use for a poll (townships are strata; every township raked to its own margins)::

    from services.survey.estimation import (
        SurveyDesign, Margin, rake, base_weights, satisfaction_rates, domain_estimates,
        Dispositions, outcome_rates, EstimationError)

    w = base_weights(township, {"T01": 52000, ...})              # N_h / n_h
    design = SurveyDesign(w, strata=township, population_psus={"T01": 52000, ...})
    margins = margins_from_rows(registry_rows, township, {"sex": sex, "age_band": age})
    # (or by hand: Margin("sex", [township, sex], {("T01", "F"): 26100, ...}))
    raked = rake(design, margins, trim=Trim(lower=0.3, upper=3.0))
    raked.report()                                   # iterations, converged, errors, trim
    rates = satisfaction_rates(raked.design, answers, satisfied_codes={4, 5},
                               invalid_codes={98, 99}, by=township)
    rates.records()                                  # JSON-ready rows per township
    outcome_rates(Dispositions(I=400, P=20, R=150, NC=300, O=10, UH=500, NE=200)).to_dict()

Every input problem raises EstimationError (``.errors`` is a 422-ready field map,
``.margin`` names the raking margin at fault). See docs/survey-estimation.md.
"""

from .aapor import (
    E_METHOD_GIVEN,
    E_METHOD_RESOLVED,
    RATE_NAMES,
    Dispositions,
    OutcomeRates,
    estimate_e,
    outcome_rates,
)
from .design import Calibration, SurveyDesign, base_weights, effective_n, kish_deff
from .errors import EstimationError
from .estimators import (
    DomainEstimates,
    Estimate,
    domain_estimates,
    satisfaction_indicator,
    satisfaction_rates,
    weighted_mean,
    weighted_proportion,
    weighted_total,
)
from .intervals import normal_interval, wilson_interval, z_value
from .raking import Margin, MarginReport, RakeResult, Trim, TrimReport, rake
from .registry_margins import JOINT_SEPARATOR, margins_from_rows

__all__ = [
    "E_METHOD_GIVEN",
    "E_METHOD_RESOLVED",
    "JOINT_SEPARATOR",
    "RATE_NAMES",
    "Calibration",
    "Dispositions",
    "DomainEstimates",
    "Estimate",
    "EstimationError",
    "Margin",
    "MarginReport",
    "OutcomeRates",
    "RakeResult",
    "SurveyDesign",
    "Trim",
    "TrimReport",
    "base_weights",
    "domain_estimates",
    "effective_n",
    "estimate_e",
    "kish_deff",
    "margins_from_rows",
    "normal_interval",
    "outcome_rates",
    "rake",
    "satisfaction_indicator",
    "satisfaction_rates",
    "weighted_mean",
    "weighted_proportion",
    "weighted_total",
    "wilson_interval",
    "z_value",
]
