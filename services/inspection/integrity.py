"""Evidence at rest: a stored file is checked against the size and SHA-256 it was
received with before it is served, and ``verify_evidence`` checks every one.

A file changed or truncated in the store is refused with 409, a missing (or unreadable)
one with 410; either refusal is an ``evidence.damaged`` audit entry, kept although the
request fails. ``verify_evidence`` also compares each attachment row with the
``evidence.received`` audit entry of its upload, so that a row edited to match an
altered file is caught too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inspection import audit
from services.inspection.evidence import CHUNK, EvidenceStore, download_name
from services.inspection.models.audit import AuditEntry
from services.inspection.models.evidence import Attachment
from shared.auth import Principal
from shared.errors import Conflict, DomainError


class EvidenceChanged(DomainError):
    """409: the stored bytes no longer match the SHA-256 and size they were received with."""

    status = 409


class EvidenceGone(DomainError):
    """410: the stored file is missing or cannot be read."""

    status = 410


def examine(store: EvidenceStore, attachment: Attachment) -> tuple[BinaryIO | None,
                                                                   dict[str, Any] | None]:
    """(the stored file, open at its start, or None; what is wrong with it, or None).

    The problem is ``{"problem": "missing" | "unreadable", "reason"}`` or
    ``{"problem": "changed", "sha256", "size"}`` with what the stored bytes hash to.
    """
    try:
        handle = store.open(attachment.storage_key or "")
    except OSError as exc:
        kind = "missing" if isinstance(exc, FileNotFoundError | IsADirectoryError) \
            else "unreadable"
        return None, {"problem": kind, "reason": exc.__class__.__name__}
    hasher, size = hashlib.sha256(), 0
    while chunk := handle.read(CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    if hasher.hexdigest() != attachment.sha256 or size != attachment.size:
        handle.close()
        return None, {"problem": "changed", "sha256": hasher.hexdigest(), "size": size}
    handle.seek(0)
    return handle, None


@dataclass(frozen=True)
class VerifiedFile:
    """A stored file that matched its SHA-256 and size, open at its start, with what a
    download sends along: the declared type, the SHA-256 (the ETag) and a safe name."""

    handle: BinaryIO
    content_type: str
    sha256: str
    name: str


def open_verified(session: Session, principal: Principal, attachment: Attachment,
                  store: EvidenceStore) -> VerifiedFile:
    """The stored file of a received attachment if it still matches its SHA-256 and size.

    Raises Conflict (409) when the file has not arrived yet. A damaged file is recorded
    as ``evidence.damaged`` in the audit log, committed (the refusal rolls the request
    back), and raises EvidenceChanged (409) or EvidenceGone (410).
    """
    if attachment.status != "received":
        raise Conflict("The file has not arrived yet", {"status": [attachment.status]})
    handle, problem = examine(store, attachment)
    if problem is None:
        return VerifiedFile(handle, attachment.content_type, attachment.sha256,
                            download_name(attachment.filename, attachment.id))
    audit.record(session, principal, "evidence.damaged", "attachment", attachment.id,
                 {**problem, "visit_id": attachment.visit_id, "order_id": attachment.order_id,
                  "storage_key": attachment.storage_key, "expected_sha256": attachment.sha256,
                  "expected_size": attachment.size})
    session.commit()
    if problem["problem"] == "changed":
        raise EvidenceChanged(
            "The stored evidence file no longer matches the SHA-256 it was received with; "
            "it is not served and the change is in the audit log",
            {"sha256": [f"declared {attachment.sha256} ({attachment.size} bytes), stored "
                        f"bytes hash to {problem['sha256']} ({problem['size']} bytes)"]})
    raise EvidenceGone(f"The stored evidence file is {problem['problem']}; the loss is in the "
                       "audit log", {"storage_key": [f"{problem['problem']} in the store"]})


@dataclass
class EvidenceReport:
    """What ``verify_evidence`` found: counts and one line per problem."""

    checked: int = 0
    intact: int = 0
    changed: int = 0
    missing: int = 0
    differs_from_audit: int = 0
    not_in_audit: int = 0
    waiting: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.differs_from_audit)


def _uploads(session: Session) -> dict[str, dict[str, Any]]:
    """{attachment id: details} of every ``evidence.received`` audit entry."""
    query = select(AuditEntry.subject_id, AuditEntry.details).where(
        AuditEntry.action == "evidence.received", AuditEntry.subject_type == "attachment")
    return {subject: details for subject, details in session.execute(query)}


def verify_evidence(session: Session, store: EvidenceStore) -> EvidenceReport:
    """Check every received file in ``store`` against its attachment row (size, SHA-256)
    and the row against the audit entry of its upload."""
    report, uploads = EvidenceReport(), _uploads(session)
    rows = session.scalars(select(Attachment).order_by(Attachment.id)
                           .execution_options(yield_per=1000))
    for attachment in rows:
        if attachment.status != "received":
            report.waiting += 1
            continue
        report.checked += 1
        name = (f"attachment {attachment.id} ({_owner(attachment)}, "
                f"{attachment.filename!r}, {attachment.storage_key})")
        handle, problem = examine(store, attachment)
        if handle is not None:
            handle.close()
        upload = uploads.get(str(attachment.id))
        if upload is None:
            report.not_in_audit += 1
        elif (upload.get("sha256"), upload.get("size")) != (attachment.sha256, attachment.size):
            report.differs_from_audit += 1
            report.problems.append(f"{name}: row says {attachment.sha256} "
                                   f"({attachment.size} bytes), the audit log of its upload "
                                   f"{upload.get('sha256')} ({upload.get('size')} bytes)")
        if problem is None:
            report.intact += 1
        elif problem["problem"] == "changed":
            report.changed += 1
            report.problems.append(f"{name}: CHANGED, stored bytes hash to {problem['sha256']} "
                                   f"({problem['size']} bytes), declared {attachment.sha256} "
                                   f"({attachment.size} bytes)")
        else:
            report.missing += 1
            report.problems.append(f"{name}: {problem['problem'].upper()} "
                                   f"({problem['reason']})")
    return report


def _owner(attachment: Attachment) -> str:
    if attachment.visit_id is not None:
        return f"visit {attachment.visit_id}"
    return f"order {attachment.order_id}"
