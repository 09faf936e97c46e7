"""``kaoping score …``: the scoring engine from the command line.

``kaoping score compute --scheme scheme.yaml --values values.csv`` scores a table of
indicator values (columns ``unit, group, indicator, value`` and optional ``se`` and
``field``) under a scheme document (JSON or YAML), without any service, prints the
ranking of every peer group and writes the full results as CSV or JSON (``--out``).
This is also how a user checks a published index: the same scheme, values and seed
give the same numbers.

It accepts exactly the documents the scoring service accepts: the document goes
through the service's own validator (:func:`services.scoring.scheme_document.
validate_document`, same errors and messages), the values file through the service's
import reader (same header rules, row numbers and number forms, ``shared.numbers``),
and indicators without any value are pruned from the scheme as a score run prunes
them (listed in the method record's ``absent_indicators``). ``kaoping score run``
(services/scoring/run_cli.py, which also holds the tables both print) is added to the
same ``score`` command.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.scoring import report_cli
from services.scoring.run_cli import add_run_command, print_ranking, print_sensitivity
from shared.errors import ValidationFailed

if TYPE_CHECKING:
    from services.scoring.engine import Table
from shared.numbers import MISSING_VALUES

# The engine, NumPy, SciPy and YAML are imported by the commands that use them: every
# ``kaoping`` command builds this parser, and most of them (status, token, stop) need
# none of it.
DEFAULT_DRAWS = 2000
DEFAULT_SHARE = 0.2
REQUIRED_COLUMNS = ("unit", "group", "indicator", "value")
OPTIONAL_COLUMNS = ("se", "field")
OUT_SUFFIXES = (".csv", ".json")
COMPUTE_EPILOG = f"""\
values file (CSV, UTF-8 with or without BOM, else GB18030; or XLSX):
  columns unit, group, indicator, value and optionally se, field; the header is row 1,
  so errors name the first data row "row 2" (the file's line, as the service's imports).
  Numbers may carry thousands separators and a trailing %: 1,234.5 and 12% (= 12).
  Missing values: an empty cell or {", ".join(t for t in MISSING_VALUES if t)} (any case).
  An indicator of the scheme without any value is left out of the scheme (listed in
  method.absent_indicators), as a score run does.

--out results.csv: one row per unit, groups together, best first, columns
  unit, group, composite, rank, group_size,
  composite_mean, composite_lo, composite_hi, rank_lo, rank_hi, p_top_K
    (with --draws > 0; K is --top-k),
  p_advanced, near_cutoff, advanced (with an 'advanced' quota),
  score:NODE          the score of every node of the tree (the root's is the composite),
  value:INDICATOR     the value scored: after ratio, shrinkage and imputation,
                      before cap/log and normalisation,
  normalised:INDICATOR  the normalised score (after direction, normalisation and
                      credibility),
  contribution:INDICATOR  the indicator's share of the composite (they add up to it),
  missing             what the missing-data policy did ("I3 reweighted; …").
--out results.json: the same numbers per unit plus the method record (every choice,
  absent_indicators, warnings), weights, AHP, Fay-Herriot fits and seats.
The folder of --out must exist; it is checked before anything is computed.
Warnings (e.g. every value outside an indicator's goalposts) are printed to stderr
and kept in the method record. See docs/scoring-engine.md.
"""


def register(sub) -> None:
    """Add ``score`` with its ``compute`` and ``run`` subcommands, and ``report``
    (services/scoring/report_cli.py)."""
    report_cli.register(sub)
    score = sub.add_parser(
        "score", help="scoring: compute an index locally, or run one on the service"
    )
    actions = score.add_subparsers(dest="score_command", required=True, metavar="ACTION")
    compute_cmd = actions.add_parser(
        "compute", help="score a values table under a scheme document, without any service",
        description="Score a values table under a scheme document, without any service; "
                    "the document is validated exactly as POST /schemes validates it.",
        epilog=COMPUTE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compute_cmd.add_argument(
        "--scheme", required=True, type=Path,
        help="scheme document: YAML (.yaml, .yml) or JSON; another name is read as JSON "
             "if it parses as JSON, else as YAML",
    )
    compute_cmd.add_argument(
        "--values",
        required=True,
        type=Path,
        help="CSV or XLSX: unit, group, indicator, value[, se][, field]",
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
        "--out", type=Path, default=None,
        help="write full results (.csv or .json; columns below) into an existing folder",
    )
    compute_cmd.set_defaults(func=_compute)
    add_run_command(actions)


def _compute(args) -> int:
    from services.scoring.engine import EngineError, Table, compute, from_document
    from services.scoring.scheme_document import indicators, nested_document, validate_document

    check_out(args.out)
    document = read_scheme(args.scheme)
    validate_document(document)
    rows, numbers = read_values(args.values)
    try:
        table = Table.from_rows(rows, [leaf["id"] for leaf in indicators(document)], numbers)
        scheme = from_document(nested_document(document))
        present = _with_values(table)
        pruned, _removed = scheme.pruned(present)
        if pruned is None:
            raise ValidationFailed(f"No indicator of the scheme has a value in {args.values}",
                                   {"values": ["no row with a value for an indicator of the "
                                               "scheme"]})
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
        result = compute(pruned, table, **options)
    except EngineError as exc:
        raise ValidationFailed(exc.message, exc.errors) from None
    result.method["absent_indicators"] = scheme.absent(present)
    for warning in result.method["warnings"]:
        print(f"kaoping: warning: {warning}", file=sys.stderr)
    _print_result(result)
    if result.sensitivity is not None:
        print_sensitivity(result.sensitivity)
    if args.out is not None:
        write_results(result, args.out)
        print(f"results written to {args.out}")
    return 0


def _with_values(table: Table) -> set[str]:
    """The indicators with at least one value or reported field (what a run keeps)."""
    import numpy as np

    present = {ind for j, ind in enumerate(table.indicators)
               if not np.isnan(table.values[:, j]).all()}
    return present | {ind for ind, fields in table.fields.items()
                      if any(not np.isnan(v).all() for v in fields.values())}


def check_out(path: Path | None) -> None:
    """Refuse an ``--out`` that cannot be written, before any work: a name not ending in
    .csv or .json, a folder, or a file in a folder that does not exist."""
    if path is None:
        return
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise ValidationFailed(f"--out {path}: name a .csv or .json file",
                               {"out": ["must end in .csv or .json"]})
    if path.is_dir():
        raise ValidationFailed(f"--out {path} is a folder", {"out": ["name a file"]})
    if not path.parent.is_dir():
        raise ValidationFailed(f"--out {path}: the folder {path.parent} does not exist",
                               {"out": [f"create {path.parent} first, or name another folder"]})


def read_scheme(path: Path) -> dict:
    """A scheme document from YAML (.yaml, .yml) or JSON — any other name is read as
    JSON if it parses as JSON, else as YAML; a ``document`` wrapper (what
    ``GET /scheme-versions/{id}`` returns) is unwrapped. Raises ValidationFailed naming
    the file, line and column of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"cannot read {path}", {"scheme": [str(exc)]}) from None
    if path.suffix.lower() in (".yaml", ".yml"):
        document = _yaml(text, path)
    else:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            try:
                document = _yaml(text, path)
            except ValidationFailed:
                if text.lstrip()[:1] not in ("{", "["):
                    raise
                raise ValidationFailed(f"{path} is not valid JSON", {"scheme": [  # meant as JSON
                    f"{path}, line {exc.lineno}, column {exc.colno}: {exc.msg}"]}) from None
    if isinstance(document, dict) and isinstance(document.get("document"), dict):
        document = document["document"]
    if not isinstance(document, dict):
        raise ValidationFailed(f"{path} is not a scheme document",
                               {"scheme": [f"{path}: must be an object (a mapping)"]})
    return document


def _yaml(text: str, path: Path) -> Any:
    import yaml

    from services.scoring.schemes import yaml_problem

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{path} is not valid YAML",
                               {"scheme": [f"{path}, {yaml_problem(exc)}"]}) from None


def read_values(path: Path) -> tuple[list[dict[str, str]], list[int]]:
    """Rows of the values file and their row numbers (the file's lines: the header is
    row 1), read as the service reads an import: CSV (UTF-8 with or without BOM, else
    GB18030) or XLSX, the header naming the required columns and no unknown one."""
    from services.scoring.spreadsheets import read_table

    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"cannot read {path}", {"values": [str(exc)]}) from None
    try:
        table = read_table(path.name, content, REQUIRED_COLUMNS, OPTIONAL_COLUMNS,
                           refuse_formulas=False)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{path}: {exc.message}", exc.errors) from None
    rows, numbers = [], []
    for number, row in table:
        rows.append(row)
        numbers.append(number)
    return rows, numbers


def _print_result(result) -> None:
    """The ranking of every peer group (``print_ranking``), with the draws, the seed and
    the seats above it and the marks explained below it."""
    method = result.method["monte_carlo"]
    print(f"draws {method['draws']}, seed {method['seed']}; seats {result.seats or '-'}")
    rows = [{**row, "peer_group": row["group"]} for row in result.rows()]
    level = result.uncertainty.level if result.uncertainty else 0.9
    for group in sorted({r["peer_group"] for r in rows}):
        print()
        print_ranking([r for r in rows if r["peer_group"] == group], print,
                      title=f"peer group {group} (同类组)", level=level)
    print()
    print("★ awarded 'advanced' (评为先进)   ~ near the cut-off (临界), 0.2 <= P(advanced) <= 0.8")


def write_results(result, path: Path) -> None:
    """Full results: CSV (one row per unit; columns in ``kaoping score compute --help``)
    or JSON (method record, weights, units). Raises ValidationFailed when the file
    cannot be written."""
    try:
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
    except OSError as exc:
        raise ValidationFailed(f"cannot write {path}", {"out": [str(exc)]}) from None


def _cell(value):
    """Text that a spreadsheet would read as a formula is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
