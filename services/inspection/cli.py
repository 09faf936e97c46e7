"""``kaoping audit verify`` (the audit log's hash chain) and ``kaoping evidence verify``
(every stored evidence file against its SHA-256): exit 0 when intact, 1 otherwise.

Each command reads the settings once (``InspectionSettings.from_env``) for what its
options leave out.
"""

from __future__ import annotations

from services.inspection.config import InspectionSettings
from shared.db import make_engine, session_factory, session_scope

DATABASE_HELP = "inspection database (default INSPECTION_DATABASE_URL)"


def register(sub) -> None:
    audit = sub.add_parser("audit", help="inspection audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="recompute the hash chain; name the first "
                                               "broken entry (exit 1 when broken)")
    verify.add_argument("--database-url", default=None, help=DATABASE_HELP)
    verify.set_defaults(func=_verify)

    evidence = sub.add_parser("evidence", help="inspection evidence files")
    actions = evidence.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("verify", help="check every stored file against its SHA-256, "
                                              "size and upload audit entry; list problems "
                                              "(exit 1 when any)")
    check.add_argument("--database-url", default=None, help=DATABASE_HELP)
    check.add_argument("--evidence-dir", default=None,
                       help="evidence store (default INSPECTION_EVIDENCE_DIR)")
    check.set_defaults(func=_verify_evidence)


def _read(database_url: str, work):
    """``work(session)`` in one transaction on ``database_url``; its result."""
    engine = make_engine(database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            return work(session)
    finally:
        engine.dispose()


def _verify(args) -> int:
    from services.inspection.audit import verify_chain

    url = args.database_url or InspectionSettings.from_env().database_url
    report = _read(url, verify_chain)
    if report.ok:
        print(f"audit chain intact: {report.entries} entries")
        return 0
    print(f"audit chain BROKEN at entry seq={report.broken_seq} (id {report.broken_id}): "
          f"{report.reason}")
    return 1


def _verify_evidence(args) -> int:
    from services.inspection.evidence import FilesystemStore
    from services.inspection.integrity import verify_evidence

    settings = InspectionSettings.from_env()
    folder = args.evidence_dir or settings.evidence_dir
    report = _read(args.database_url or settings.database_url,
                   lambda session: verify_evidence(session, FilesystemStore(folder)))
    for line in report.problems:
        print(line)
    print(f"evidence in {folder}: {report.checked} files checked, {report.intact} intact, "
          f"{report.changed} changed, {report.missing} missing or unreadable, "
          f"{report.differs_from_audit} differ from the audit log of their upload; "
          f"{report.not_in_audit} received before uploads were audited, "
          f"{report.waiting} declared and not yet received")
    print("evidence intact" if report.ok else "evidence DAMAGED")
    return 0 if report.ok else 1
