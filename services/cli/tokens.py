"""``kaoping token issue``: mint a bearer token for a role."""

from __future__ import annotations

from shared.auth import ROLES, issue_token


def register(sub) -> None:
    token = sub.add_parser("token", help="mint bearer tokens")
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = actions.add_parser("issue", help="print a signed token for a role")
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--unit", help="unit code the token is scoped to (role unit)")
    issue.add_argument("--sub", default=None, help="subject (default: cli-<role>)")
    issue.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    issue.set_defaults(func=_issue)


def _issue(args) -> int:
    if args.role == "unit" and not args.unit:
        raise SystemExit("kaoping token issue: --unit is required with --role unit")
    if args.ttl <= 0:
        raise SystemExit("kaoping token issue: --ttl must be positive")
    print(issue_token(args.sub or f"cli-{args.role}", args.role, args.unit, args.ttl))
    return 0
