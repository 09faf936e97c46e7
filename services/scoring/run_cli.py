"""``kaoping score run``: start a score run on the running scoring service and print it.

``kaoping score run --kind mid-year --period 2026-H1`` picks the latest version of the
only scheme (or ``--scheme CODE`` / ``--scheme-version ID``), sends the run with a
locally minted planner token to ``SCORING_URL`` and prints the ranking of every peer
group. ``--sensitivity`` also asks the run for the engine's sensitivity report and
prints it. ``--publish`` publishes it (and so freezes the scheme version). The run's
warnings (``method.warnings``, e.g. an indicator whose every value lies outside its
goalposts) are printed to stderr.

:func:`print_ranking` and :func:`print_sensitivity` are the tables every ``kaoping
score`` command prints (``compute`` too, and the demo's assessment step).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from typing import Any

from services.scoring.models.runs import RUN_KINDS
from shared.auth import issue_token
from shared.client import ServiceClient
from shared.errors import DomainError, ValidationFailed
from shared.gunicorn_settings import service_url


def add_run_command(actions) -> None:
    """Add ``run`` to the ``kaoping score`` subcommands."""
    run = actions.add_parser("run", help="start a score run on the running scoring service "
                                         "and print its ranking")
    run.add_argument("--kind", required=True, choices=RUN_KINDS)
    run.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
    run.add_argument("--scheme", default=None, help="scheme code (latest version)")
    run.add_argument("--scheme-version", type=int, default=None, help="scheme version id")
    run.add_argument("--poll", type=int, action="append", default=[],
                     help="survey poll id feeding the poll indicators (repeatable)")
    run.add_argument("--seed", type=int, default=None)
    run.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws (2000)")
    run.add_argument("--missing-source", choices=("fail", "skip"), default="fail")
    run.add_argument("--sensitivity", action="store_true",
                     help="also re-rank under alternative normalisations and weightings "
                          "(stored with the run) and print how ranks move")
    run.add_argument("--publish", action="store_true", help="publish the run")
    run.add_argument("--url", default=None, help="scoring service (default SCORING_URL)")
    run.set_defaults(func=_run)


def _client(url: str | None) -> ServiceClient:
    token = issue_token("kaoping-cli", "planner", ttl=900)
    return ServiceClient("scoring", url or service_url("scoring"), token, timeout=300)


def resolve_version(client: ServiceClient, scheme: str | None) -> int:
    """The latest version of ``scheme`` (or of the only scheme); ValidationFailed if unclear."""
    schemes = client.get_json("/api/v1/schemes")
    if scheme is not None:
        schemes = [s for s in schemes if s["code"] == scheme]
    if len(schemes) != 1 or not schemes[0]["versions"]:
        names = ", ".join(s["code"] for s in schemes) or "none"
        raise ValidationFailed("Name the scheme with --scheme or --scheme-version",
                               {"scheme": [f"schemes with versions: {names}"]})
    return max(schemes[0]["versions"], key=lambda v: v["version"])["id"]


def _post(client: ServiceClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST once and pass the service's own error on (its 503 names the missing source)."""
    response = client.http.post(f"{client.base_url}{path}", json=body, timeout=client.timeout,
                                headers={"Authorization": f"Bearer {client.token}"})
    if response.status_code >= 400:
        try:
            error = response.json()
        except ValueError:
            error = {"message": response.text[:200]}
        raise DomainError(f"HTTP {response.status_code}: {error.get('message')}",
                          error.get("errors") or None)
    return response.json()


def _run(args) -> int:
    client = _client(args.url)
    version = args.scheme_version or resolve_version(client, args.scheme)
    body: dict[str, Any] = {"scheme_version_id": version, "period": args.period,
                            "kind": args.kind, "polls": args.poll, "draws": args.draws,
                            "missing_source": args.missing_source}
    if args.seed is not None:
        body["seed"] = args.seed
    if args.sensitivity:
        body["sensitivity"] = True
    run = _post(client, "/api/v1/runs", body)
    print(f"run {run['id']}: {run['kind']} {run['period']}, scheme {run['scheme']} "
          f"v{run['scheme_version']}, seed {run['seed']}, {run['units']} units, "
          f"inputs sha256 {run['inputs_sha256'][:12]}…")
    for warning in (run.get("method") or {}).get("warnings", []):
        print(f"kaoping: warning: {warning}", file=sys.stderr)
    rows = client.get_json(f"/api/v1/runs/{run['id']}/ranking")
    groups = sorted({r["peer_group"] for r in rows})
    for group in groups:
        print_ranking([r for r in rows if r["peer_group"] == group], print,
                      title=f"peer group {group}")
    if args.sensitivity:
        print_sensitivity(client.get_json(f"/api/v1/runs/{run['id']}/sensitivity"))
    if args.publish:
        _post(client, f"/api/v1/runs/{run['id']}/publish", {})
        print(f"run {run['id']} published; scheme version {version} is frozen")
    return 0


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    while _width(text) > width:
        text = text[:-1]
    return text + " " * (width - _width(text))


def _fmt(value: float | None, spec: str = "6.1f") -> str:
    return format(value, spec) if value is not None else "-".rjust(int(spec.split(".")[0]))


def print_ranking(rows: list[dict[str, Any]], say: Callable[[str], None],
                  title: str = "", limit: int | None = None, level: float = 0.9) -> None:
    """A ranking table: rank, unit, name (when the rows have names), composite, its
    ``level`` interval, rank interval, P(advanced) and, when there is a previous run, the
    change of the composite; ★ marks an awarded unit, ~ a unit near the cut-off
    (0.2 ≤ P ≤ 0.8)."""
    if title:
        say(f"  {title}")
    compared = any(row.get("composite_change") is not None for row in rows)
    named = any("name_zh" in row for row in rows)
    say("    rank unit  " + ("name                 " if named else "")
        + f"composite  {round(level * 100)}% interval    ranks   P(adv)"
        + ("  change" if compared else ""))
    for row in rows[:limit]:
        mark = "★" if row.get("advanced") else ("~" if row.get("near_cutoff") else " ")
        ranks = (f"{row['rank_lo']}–{row['rank_hi']}" if row.get("rank_lo") is not None
                 else "-")
        interval = (f"[{row['composite_lo']:5.1f}, {row['composite_hi']:5.1f}]"
                    if row.get("composite_lo") is not None else "-")
        name = f"{_pad(row['name_zh'], 20)} " if named else ""
        change = row.get("composite_change")
        say(f"  {mark} {row['rank']:>3} {row['unit']:<5} {name}"
            f"{_fmt(row['composite'], '9.1f')}  {interval:<14}  {ranks:<7} "
            f"{_fmt(row.get('p_advanced'), '6.2f')}"
            + (f"  {'-' if change is None else format(change, '+6.1f')}" if compared else ""))
    if limit is not None and len(rows) > limit:
        say(f"    … {len(rows) - limit} more")


def print_sensitivity(report: dict, out=None) -> None:
    """How group ranks move under each alternative normalisation and weighting."""
    out = out or sys.stdout
    print("\nsensitivity (敏感性): change of group rank against the scheme's own methods", file=out)
    for name, variant in report["variants"].items():
        if "skipped" in variant:
            print(f"  {name:<26} skipped: {variant['skipped']}", file=out)
        else:
            print(
                f"  {name:<26} mean |shift| {variant['mean_abs_shift']:.2f}, "
                f"max {variant['max_abs_shift']}",
                file=out,
            )
