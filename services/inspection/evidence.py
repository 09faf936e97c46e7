"""Evidence files of a visit or an order: declared (name, type, size, SHA-256), then
streamed to a storage backend.

The upload is read in chunks; the SHA-256 and the byte count are computed while the
chunks are written to a temporary file, which becomes the stored object only when
both match what was declared. On a mismatch the temporary file is removed and
nothing is stored. A received file is an ``evidence.received`` entry in the audit log
with its SHA-256 and size (``integrity`` checks stored files against both).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy.orm import Session

from services.inspection import audit, orders, visits
from services.inspection.checklists import rules_for
from services.inspection.models.evidence import Attachment
from shared.auth import Principal
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, NotFound, PayloadTooLarge, Problems, ValidationFailed

CHUNK = 64 * 1024
ALLOWED_TYPES = {
    "photo": {"image/jpeg", "image/png", "image/webp", "image/heic"},
    "audio": {"audio/mpeg", "audio/mp4", "audio/aac", "audio/wav", "audio/x-wav", "audio/amr",
              "audio/ogg"},
    "document": {"application/pdf", "image/jpeg", "image/png"},
}
# Leading bytes a file of this type must start with (types not listed are not sniffed).
MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n",
         "application/pdf": b"%PDF"}
# Unicode categories a file name may not contain: control (CR, LF, U+000B …), format
# (bidi overrides that disguise an extension), line/paragraph separators, surrogates.
UNPRINTABLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


class EvidenceStore(Protocol):
    def put(self, stream: BinaryIO, *, sha256: str, size: int, content_type: str) -> str: ...

    def open(self, key: str) -> BinaryIO: ...


def declare_for_visit(session: Session, principal: Principal, visit_id: int,
                      data: dict[str, Any], max_bytes: int) -> Attachment:
    """Declare an evidence file of a visit (type, size in bytes, SHA-256) before its
    bytes are uploaded: after check-in and before submission, or to a returned visit
    (Conflict, 409, otherwise); ValidationFailed (422) as ``_declaration`` and for an
    item not on the checklist; NotFound/Forbidden as ``visits.own_visit``."""
    visit = visits.own_visit(session, principal, visit_id)
    if visit.status not in ("checked_in", "returned"):
        raise Conflict("Evidence can be added after check-in and before submission, or to a "
                       "returned visit", {"status": [visit.status]})
    declared = _declaration(data, max_bytes)
    rules = rules_for(session, visit.plan.template_id)
    if data.get("item_id") and data["item_id"] not in {r.item_id for r in rules.rules}:
        raise ValidationFailed("Unknown item", {"item_id": ["not on this checklist"]})
    return _attach(session, Attachment(visit_id=visit.id, declared_by=principal.sub, **declared))


def declare_for_order(session: Session, principal: Principal, order_id: int,
                      data: dict[str, Any], max_bytes: int) -> Attachment:
    """Declare an evidence file of the fix while the order is open or reopened
    (Conflict, 409, otherwise); ValidationFailed (422) as ``_declaration``; NotFound as
    ``orders.get_order``."""
    order = orders.get_order(session, principal, order_id)
    if order.state not in ("open", "reopened"):
        raise Conflict("Evidence is added while the order is open", {"state": [order.state]})
    declared = _declaration(data, max_bytes)
    return _attach(session, Attachment(order_id=order.id, declared_by=principal.sub, **declared))


def _attach(session: Session, attachment: Attachment) -> Attachment:
    session.add(attachment)
    session.flush()
    return attachment


def visit_attachment(session: Session, principal: Principal, visit_id: int,
                     attachment_id: int) -> Attachment:
    """An attachment of a visit the caller may see; NotFound (404) otherwise."""
    visit = visits.get_visit(session, principal, visit_id)
    return _owned(session, attachment_id, visit_id=visit.id)


def order_attachment(session: Session, principal: Principal, order_id: int,
                     attachment_id: int) -> Attachment:
    """An attachment of an order the caller may see; NotFound (404) otherwise."""
    order = orders.get_order(session, principal, order_id)
    return _owned(session, attachment_id, order_id=order.id)


def _owned(session: Session, attachment_id: int, **owner: int) -> Attachment:
    """The attachment if it belongs to ``owner`` (``visit_id=`` or ``order_id=``)."""
    attachment = get_or_404(session, Attachment, attachment_id)
    if any(getattr(attachment, column) != value for column, value in owner.items()):
        raise NotFound(f"Attachment {attachment_id} not found")
    return attachment


def _declaration(data: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """The declared file as stored: the file name's last path component, the SHA-256 in
    lower case. Raises ValidationFailed (every problem, by field) when the name holds
    control characters or nothing but a path, the type is not allowed for the kind or
    the size is over ``max_bytes``."""
    kind, content_type, size = data["kind"], data["content_type"], data["size"]
    problems = Problems()
    filename, problem = _clean_filename(data["filename"])
    if problem:
        problems.add("filename", problem)
    if content_type not in ALLOWED_TYPES.get(kind, set()):
        allowed = ", ".join(sorted(ALLOWED_TYPES.get(kind, ())))
        problems.add("content_type", f"{content_type!r} is not allowed for {kind}; use {allowed}")
    if size > max_bytes:
        problems.add("size", f"{size} bytes is over the limit of {max_bytes} bytes")
    problems.raise_if_any("Evidence file not accepted")
    return {**data, "filename": filename, "sha256": data["sha256"].lower()}


def _last_component(name: str) -> str:
    """What is left of a name after any ``/`` or ``\\`` path, trimmed."""
    return re.split(r"[/\\]", name)[-1].strip()


def _clean_filename(name: str) -> tuple[str, str | None]:
    """(the name to store, the reason it is refused or None)."""
    bad = sorted({f"U+{ord(ch):04X}" for ch in name if unicodedata.category(ch) in UNPRINTABLE})
    if bad:
        return name, f"control characters are not allowed in a file name ({', '.join(bad)})"
    base = _last_component(name)
    if base in ("", ".", ".."):
        return base, "no file name is left once the folders are removed"
    return base, None


def download_name(filename: str, attachment_id: int) -> str:
    """A name for Content-Disposition, safe even for a name stored before names were
    checked: unprintable characters become ``_``, folders are dropped."""
    printable = "".join("_" if unicodedata.category(ch) in UNPRINTABLE else ch
                        for ch in filename)
    base = _last_component(printable)
    return base if base not in ("", ".", "..") else f"evidence-{attachment_id}"


class FilesystemStore:
    """Content-addressed files under ``root``: ``<sha[:2]>/<sha>``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def put(self, stream: BinaryIO, *, sha256: str, size: int, content_type: str) -> str:
        """Stream to a temporary file and keep it only if size, hash and type match."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / uuid.uuid4().hex
        try:
            digest, count, head = self._copy(stream, tmp, size)
            _check_upload(digest, count, head, sha256=sha256, size=size,
                          content_type=content_type)
            key = f"{digest[:2]}/{digest}"
            final = self.root / key
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return key
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _copy(stream: BinaryIO, target: Path, size: int) -> tuple[str, int, bytes]:
        hasher, count, head = hashlib.sha256(), 0, b""
        with open(target, "wb") as out:
            while chunk := stream.read(CHUNK):
                count += len(chunk)
                if count > size:
                    raise PayloadTooLarge("Upload is longer than the declared size",
                                          {"size": [f"more than the declared {size} bytes"]})
                if len(head) < 16:
                    head = (head + chunk)[:16]
                hasher.update(chunk)
                out.write(chunk)
        return hasher.hexdigest(), count, head

    def open(self, key: str) -> BinaryIO:
        """The stored file; FileNotFoundError when there is none (a key that leads out of
        the store's folder finds none)."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise FileNotFoundError(key)
        return open(path, "rb")


def _check_upload(digest: str, count: int, head: bytes, *, sha256: str, size: int,
                  content_type: str) -> None:
    problems = Problems()
    if count != size:
        problems.add("size", f"received {count} bytes, declared {size}")
    if digest != sha256.lower():
        problems.add("sha256", f"content hashes to {digest}, declared {sha256.lower()}")
    magic = MAGIC.get(content_type)
    if magic and not head.startswith(magic):
        problems.add("content_type", f"content does not look like {content_type}")
    problems.raise_if_any("Upload does not match its declaration; nothing was stored")


def receive(session: Session, principal: Principal, attachment: Attachment,
            stream: BinaryIO, store: EvidenceStore) -> Attachment:
    """Stream the bytes of a declared attachment into ``store``, mark it received and
    append ``evidence.received`` (SHA-256, size, type, name) to the audit log.

    The transaction is committed before the bytes are read, so that no database
    connection or lock is held while a slow upload arrives; the row is then locked and
    checked again. Raises Conflict when the file already arrived, ValidationFailed
    (nothing stored) when the bytes do not match the declaration.
    """
    _not_received(attachment)
    attachment_id, sha256, size = attachment.id, attachment.sha256, attachment.size
    content_type = attachment.content_type
    session.commit()
    key = store.put(stream, sha256=sha256, size=size, content_type=content_type)
    attachment = session.get(Attachment, attachment_id, with_for_update=True,
                             populate_existing=True)
    _not_received(attachment)
    attachment.storage_key, attachment.status = key, "received"
    attachment.received_at = utcnow()
    audit.record(session, principal, "evidence.received", "attachment", attachment.id,
                 {"visit_id": attachment.visit_id, "order_id": attachment.order_id,
                  "kind": attachment.kind, "filename": attachment.filename,
                  "content_type": attachment.content_type, "size": attachment.size,
                  "sha256": attachment.sha256, "storage_key": key})
    return attachment


def _not_received(attachment: Attachment) -> None:
    if attachment.status == "received":
        raise Conflict(f"Attachment {attachment.id} has already been received",
                       {"status": ["received"]})
