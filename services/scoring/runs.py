"""Score runs, the use cases: start (collect → compute → store), read, publish, delete,
recompute, and the run's results as the API serves them.

A run reads forward: :func:`services.scoring.run_inputs.collect` freezes every input
into a snapshot, :func:`services.scoring.assessment.compute_snapshot` scores it (pure,
from the snapshot only) and the rows are stored with the SHA-256 of the snapshot and of
the results; :mod:`services.scoring.results` reads them back (rankings, breakdowns,
sensitivity, sheets). ``recompute`` scores the stored snapshot again and compares every
number. ``publish`` moves a run from ``computed`` to ``published`` and freezes the
scheme version it used (:func:`services.scoring.schemes.freeze_scheme_version`); a
published run is never changed or deleted (409).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring import results, schemes
from services.scoring.assessment import canonical_sha256, compute_snapshot
from services.scoring.models.runs import ScoreResult, ScoreRun
from services.scoring.run_inputs import Sources, collect
from services.scoring.spreadsheets import Sheet
from shared.auth import Principal
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, NotFound

OPTION_KEYS = ("polls", "missing_source", "draws", "level", "top_k", "advanced",
               "fay_herriot", "credibility", "period_weighting", "sensitivity")


def run_options(data: dict[str, Any]) -> dict[str, Any]:
    """The options a run records (and recomputes with); the seed is drawn when absent.
    ``sensitivity`` is recorded only when asked for, so runs without it keep the options
    they always had."""
    options = {k: data[k] for k in OPTION_KEYS if data.get(k) is not None}
    if not options.get("sensitivity"):
        options.pop("sensitivity", None)
    options["seed"] = data["seed"] if data.get("seed") is not None else secrets.randbelow(2 ** 31)
    return options


def create_run(session: Session, data: dict[str, Any], actor: str, sources: Sources) -> ScoreRun:
    """Collect, snapshot, compute and store a run in state ``computed``.

    Raises NotFound (scheme version), ValidationFailed (period/kind, engine errors),
    DependencyDown (a source is down and ``missing_source`` is ``fail``).
    """
    version = schemes.get_version_by_id(session, data["scheme_version_id"])
    options = run_options(data)
    snapshot = collect(session, version, data["kind"], data["period"], options.get("polls", []),
                       options.get("missing_source", "fail"), sources)
    computed = compute_snapshot(snapshot, options)
    run = ScoreRun(scheme_version_id=version.id, period=data["period"], kind=data["kind"],
                   seed=options["seed"], state="computed", options=options,
                   method=computed.method, inputs=snapshot,
                   inputs_sha256=canonical_sha256(snapshot),
                   results_sha256=computed.results_sha256, units=len(computed.rows),
                   created_by=actor, created_at=utcnow())
    if computed.sensitivity is not None:
        run.sensitivity = computed.sensitivity
    run.results = [ScoreResult(**row) for row in computed.rows]
    session.add(run)
    session.flush()
    return run


def _visible(run: ScoreRun, principal: Principal | None) -> bool:
    return principal is None or principal.role != "unit" or run.state == "published"


def get_run(session: Session, run_id: int, principal: Principal | None = None) -> ScoreRun:
    """Raise NotFound for an unknown run, and for an unpublished run asked by a unit."""
    run = get_or_404(session, ScoreRun, run_id, name="Run")
    if not _visible(run, principal):
        raise NotFound(f"Run {run_id} not found")
    return run


def list_runs(session: Session, principal: Principal | None = None, kind: str | None = None,
              period: str | None = None, state: str | None = None) -> list[ScoreRun]:
    query = select(ScoreRun).order_by(ScoreRun.id.desc())
    if kind:
        query = query.where(ScoreRun.kind == kind)
    if period:
        query = query.where(ScoreRun.period == period)
    if state:
        query = query.where(ScoreRun.state == state)
    if principal is not None and principal.role == "unit":
        query = query.where(ScoreRun.state == "published")
    return list(session.scalars(query))


def _ensure_computed(run: ScoreRun) -> None:
    if run.state == "published":
        raise Conflict(f"Run {run.id} is published and frozen; start a new run instead",
                       {"state": ["published"]})


def publish(session: Session, run_id: int, actor: str) -> ScoreRun:
    """computed → published; freezes the scheme version. Conflict if already published or
    if the scheme version was deleted meanwhile."""
    run = get_run(session, run_id)
    _ensure_computed(run)
    if run.scheme_version_id is None:
        raise Conflict(f"Run {run.id}'s scheme version was deleted; it cannot be published",
                       {"scheme_version_id": ["deleted"]})
    schemes.freeze_scheme_version(session, run.scheme_version_id)
    run.state = "published"
    run.published_by = actor
    run.published_at = utcnow()
    session.flush()
    return run


def delete_run(session: Session, run_id: int) -> None:
    """Delete a computed run; Conflict for a published one."""
    run = get_run(session, run_id)
    _ensure_computed(run)
    session.delete(run)
    session.flush()


def inputs(session: Session, run_id: int) -> dict[str, Any]:
    """The stored input snapshot (its SHA-256 is the run's ``inputs_sha256``)."""
    return get_run(session, run_id).inputs


def recompute(session: Session, run_id: int) -> dict[str, Any]:
    """Score the stored snapshot again; compare hashes, every stored number and, for a run
    with the ``sensitivity`` option, the stored sensitivity report (``sensitivity_reproduced``;
    None for a run without it)."""
    run = get_run(session, run_id)
    inputs_hash = canonical_sha256(run.inputs)
    computed = compute_snapshot(run.inputs, run.options)
    stored = {r.unit: results.result_dict(r) for r in run.results}
    differences = []
    for row in computed.rows:
        old = stored.pop(row["unit"], None)
        if old is None:
            differences.append({"unit": row["unit"], "field": "*", "stored": None,
                                "recomputed": "present"})
            continue
        differences.extend({"unit": row["unit"], "field": name, "stored": old[name],
                            "recomputed": row[name]}
                           for name in results.RESULT_FIELDS if old[name] != row[name])
    differences.extend({"unit": unit, "field": "*", "stored": "present", "recomputed": None}
                       for unit in stored)
    stored_hash = canonical_sha256([results.result_dict(r) for r in
                                    sorted(run.results, key=lambda r: r.unit)])
    sensitivity_reproduced = None
    if run.sensitivity is not None or computed.sensitivity is not None:
        stored_report, recomputed_report = (
            None if report is None else canonical_sha256(report)
            for report in (run.sensitivity, computed.sensitivity))
        sensitivity_reproduced = stored_report == recomputed_report
        if not sensitivity_reproduced:  # hashes of the two reports (None: absent)
            differences.append({"unit": None, "field": "sensitivity", "stored": stored_report,
                                "recomputed": recomputed_report})
    return {
        "run_id": run.id,
        "reproduced": (not differences and computed.results_sha256 == run.results_sha256
                       and inputs_hash == run.inputs_sha256 and stored_hash == run.results_sha256),
        "inputs_sha256": run.inputs_sha256, "inputs_sha256_recomputed": inputs_hash,
        "results_sha256": run.results_sha256,
        "results_sha256_recomputed": computed.results_sha256,
        "results_sha256_of_stored_rows": stored_hash,
        "sensitivity_reproduced": sensitivity_reproduced,
        "differences": differences[:50], "difference_count": len(differences),
    }


def ranking(session: Session, run_id: int, group: str | None,
            principal: Principal) -> list[dict[str, Any]]:
    """The ranking rows of a run the principal may see (:func:`results.ranking`)."""
    return results.ranking(session, get_run(session, run_id, principal), group, principal)


def ranking_sheet(session: Session, run_id: int, group: str | None,
                  principal: Principal) -> Sheet:
    """The ranking as a sheet: the ranking columns, then each indicator's normalised
    score and contribution."""
    run = get_run(session, run_id, principal)
    rows = results.ranking(session, run, group, principal)
    return (f"run_{run.id}_{run.period}_ranking", *results.export_rows(run, rows))


def sensitivity(session: Session, run_id: int, principal: Principal) -> dict[str, Any]:
    """The run's sensitivity report as the principal may see it (:func:`results.sensitivity`)."""
    return results.sensitivity(get_run(session, run_id, principal), principal)


def sensitivity_sheet(session: Session, run_id: int, principal: Principal) -> Sheet:
    """The sensitivity report as a sheet: a row per unit, a column per variant."""
    run = get_run(session, run_id, principal)
    report = results.sensitivity(run, principal)
    return (f"run_{run.id}_{run.period}_sensitivity", *results.sensitivity_rows(run, report))


def breakdown(session: Session, run_id: int, code: str, principal: Principal) -> dict[str, Any]:
    """A unit's breakdown in a run the principal may see (:func:`results.breakdown`)."""
    return results.breakdown(session, get_run(session, run_id, principal), code, principal)
