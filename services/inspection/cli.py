"""``kaoping audit verify``: check the inspection audit log's hash chain."""

from __future__ import annotations

from shared.config import database_url
from shared.db import make_engine, session_factory, session_scope


def register(sub) -> None:
    audit = sub.add_parser("audit", help="inspection audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="recompute the hash chain; name the first "
                                               "broken entry (exit 1 when broken)")
    verify.add_argument("--database-url", default=None,
                        help="inspection database (default INSPECTION_DATABASE_URL)")
    verify.set_defaults(func=_verify)


def _verify(args) -> int:
    from services.inspection.audit import verify_chain

    engine = make_engine(args.database_url or database_url("inspection"))
    try:
        with session_scope(session_factory(engine)) as session:
            report = verify_chain(session)
    finally:
        engine.dispose()
    if report.ok:
        print(f"audit chain intact: {report.entries} entries")
        return 0
    print(f"audit chain BROKEN at entry seq={report.broken_seq} (id {report.broken_id}): "
          f"{report.reason}")
    return 1
