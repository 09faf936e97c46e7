"""``kaoping score …``: the scoring engine from the command line.

``kaoping score compute --scheme scheme.json --values values.csv`` scores a table of
indicator values (columns ``unit, group, indicator, value`` and optional ``se`` and
``field``) under a scheme document (JSON or YAML), without any service, prints the
ranking of every peer group and writes the full results as CSV or JSON (``--out``).
This is also how a user checks a published index: the same scheme, values and seed
give the same numbers. ``kaoping score run`` (services/scoring/run_cli.py) is added to
the same ``score`` command when present.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from services.scoring.engine import EngineError, Table, compute, from_document
from shared.errors import ValidationFailed

DEFAULT_DRAWS = 2000
DEFAULT_SHARE = 0.2
REQUIRED_COLUMNS = ("unit", "group", "indicator", "value")


def register(sub) -> None:
    """Add ``score`` with its ``compute`` subcommand (and ``run`` when available)."""
    score = sub.add_parser(
        "score", help="scoring: compute an index locally, or run one on the service"
    )
    actions = score.add_subparsers(dest="score_command", required=True, metavar="ACTION")
    compute_cmd = actions.add_parser(
        "compute", help="score a values table under a scheme document, without any service"
    )
    compute_cmd.add_argument(
        "--scheme", required=True, type=Path, help="scheme document (.json, .yaml)"
    )
    compute_cmd.add_argument(
        "--values",
        required=True,
        type=Path,
        help="CSV: unit, group, indicator, value[, se][, field]",
    )
    compute_cmd.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (0)")
    compute_cmd.add_argument(
        "--draws",
        type=int,
        default=DEFAULT_DRAWS,
        help=f"Monte Carlo draws ({DEFAULT_DRAWS}; 0 for none)",
    )
    compute_cmd.add_argument("--level", type=float, default=0.9, help="interval level (0.9)")
    compute_cmd.add_argument("--top-k", type=int, default=3, help="k of P(rank ≤ k) (3)")
    quota = compute_cmd.add_mutually_exclusive_group()
    quota.add_argument(
        "--advanced-seats", type=int, default=None, help="'advanced' titles in total"
    )
    quota.add_argument(
        "--advanced-share",
        type=float,
        default=None,
        help=f"'advanced' share of units (scheme's, else {DEFAULT_SHARE})",
    )
    compute_cmd.add_argument(
        "--fay-herriot",
        choices=("REML", "ML"),
        default=None,
        help="shrink every poll indicator with SEs toward its group mean",
    )
    compute_cmd.add_argument(
        "--sensitivity",
        action="store_true",
        help="also re-rank under alternative normalisations and weightings",
    )
    compute_cmd.add_argument(
        "--out", type=Path, default=None, help="write full results (.csv or .json)"
    )
    compute_cmd.set_defaults(func=_compute)
    try:
        from services.scoring.run_cli import add_run_command
    except ModuleNotFoundError as exc:
        if exc.name != "services.scoring.run_cli":
            raise
    else:
        add_run_command(actions)


def _compute(args) -> int:
    document = read_scheme(args.scheme)
    try:
        scheme = from_document(document)
        table = Table.from_rows(read_values(args.values), [i.id for i in scheme.indicators])
        options: dict[str, Any] = {
            "seed": args.seed,
            "draws": args.draws,
            "level": args.level,
            "top_k": args.top_k,
            "fay_herriot": args.fay_herriot,
            "sensitivity": args.sensitivity or None,
        }
        if args.advanced_seats is not None:
            options["advanced_seats"] = args.advanced_seats
        elif args.advanced_share is not None or "advanced" not in (document.get("engine") or {}):
            options["advanced_share"] = (
                args.advanced_share if args.advanced_share is not None else DEFAULT_SHARE
            )
        result = compute(scheme, table, **options)
    except EngineError as exc:
        raise ValidationFailed(exc.message, exc.errors) from None
    print_ranking(result)
    if result.sensitivity is not None:
        print_sensitivity(result.sensitivity)
    if args.out is not None:
        write_results(result, args.out)
        print(f"results written to {args.out}")
    return 0


def read_scheme(path: Path) -> dict:
    """A scheme document from JSON or YAML (a ``document`` wrapper is unwrapped)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValidationFailed(f"cannot read {path}", {"scheme": [str(exc)]}) from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            document = yaml.safe_load(text)
        else:
            document = json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ValidationFailed(
            f"{path} is not a valid scheme document", {"scheme": [str(exc)]}
        ) from None
    if isinstance(document, dict) and isinstance(document.get("document"), dict):
        document = document["document"]
    if not isinstance(document, dict):
        raise ValidationFailed(f"{path} is not a scheme document", {"scheme": ["not an object"]})
    return document


def read_values(path: Path) -> list[dict[str, str]]:
    """Rows of the values CSV (UTF-8 with or without BOM, else GB18030)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"cannot read {path}", {"values": [str(exc)]}) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValidationFailed(
            f"{path} lacks columns", {"columns": [f"missing {', '.join(missing)}"]}
        )
    return [{(k or "").strip(): v for k, v in row.items()} for row in reader]


def print_ranking(result, out=None) -> None:
    """Per peer group: rank, unit, composite, interval, rank interval, P(advanced)."""
    out = out or sys.stdout
    rows = result.rows()
    u = result.uncertainty
    level = f"{round(u.level * 100)}% interval" if u else "interval"
    say = lambda text="": print(text, file=out)  # noqa: E731
    method = result.method["monte_carlo"]
    say(f"draws {method['draws']}, seed {method['seed']}; seats {result.seats or '-'}")
    for group in sorted({r["group"] for r in rows}):
        say()
        say(f"peer group {group} (同类组)")
        say(f"    rank  unit          composite  {level:<18} ranks    P(adv)")
        for row in (r for r in rows if r["group"] == group):
            mark = "*" if row.get("advanced") else ("~" if row.get("near_cutoff") else " ")
            interval = (
                f"[{row['composite_lo']:7.2f}, {row['composite_hi']:7.2f}]"
                if row.get("composite_lo") is not None
                else "-"
            )
            ranks = f"{row['rank_lo']}-{row['rank_hi']}" if "rank_lo" in row else "-"
            p_adv = f"{row['p_advanced']:.2f}" if row.get("p_advanced") is not None else "-"
            composite = "-" if row["composite"] is None else f"{row['composite']:9.2f}"
            unit = f"{row['rank']:>4}  {row['unit']:<12}"
            say(f"  {mark} {unit} {composite:>9}  {interval:<18} {ranks:<8} {p_adv:>6}")
    say()
    say("* awarded 'advanced' (评为先进)   ~ near the cut-off (临界), 0.2 <= P(advanced) <= 0.8")


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


def write_results(result, path: Path) -> None:
    """Full results: CSV (one row per unit) or JSON (method record, weights, units)."""
    if path.suffix.lower() == ".json":
        path.write_text(
            json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return
    rows = [{k: _cell(v) for k, v in row.items()} for row in result.rows()]
    columns = list(rows[0]) if rows else []
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _cell(value):
    """Text that a spreadsheet would read as a formula is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
