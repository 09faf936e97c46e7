"""Evidence files over HTTP, the same for a visit and for an order:
``/{visits|orders}/{id}/attachments`` (declare) and ``…/{attachment_id}/content`` (upload
the bytes, streamed; download them, checked against their SHA-256 first)."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from services.inspection import evidence, integrity
from services.inspection.api.reports import FILE
from services.inspection.config import app_settings
from services.inspection.evidence import ALLOWED_TYPES, FilesystemStore
from services.inspection.models.evidence import Attachment
from services.inspection.schemas.evidence import AttachmentInSchema, AttachmentSchema
from shared.auth import current_principal, roles
from shared.db import db_session

# OpenAPI: the upload body is the file itself.
BINARY_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": FILE}}}}
# What a download may be: the declared type of the file, one of those accepted.
DOWNLOAD_TYPES = sorted(set().union(*ALLOWED_TYPES.values()))


@dataclass(frozen=True)
class Owner:
    """Whose evidence: ``name`` (visit or order: its path and id), who may declare and
    upload (``writers``) and read (``readers``), the summary of a declaration, and the
    domain functions that declare an attachment and find one."""

    name: str
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    declare_summary: str
    declare: Callable
    find: Callable


def add_evidence(blp: Blueprint, owner: Owner) -> None:
    """Register the evidence views of ``owner`` on its blueprint."""
    id_name, title = f"{owner.name}_id", owner.name.capitalize()

    def attachment(path: dict) -> Attachment:
        return owner.find(db_session(), current_principal(), path[id_name],
                          path["attachment_id"])

    class Attachments(MethodView):
        @roles(*owner.writers)
        @blp.doc(summary=owner.declare_summary)
        @blp.arguments(AttachmentInSchema)
        @blp.response(201, AttachmentSchema)
        def post(self, data, **path):
            return owner.declare(db_session(), current_principal(), path[id_name], data,
                                 app_settings().evidence_max_bytes)

    class AttachmentContent(MethodView):
        @roles(*owner.writers)
        @blp.doc(summary="Stream the file; 422 and nothing stored unless size and SHA-256 "
                         "match.", **BINARY_BODY)
        @blp.response(200, AttachmentSchema)
        def put(self, **path):
            settings = app_settings()
            request.max_content_length = settings.evidence_max_bytes  # this upload only
            return evidence.receive(db_session(), current_principal(), attachment(path),
                                    request.stream, FilesystemStore(settings.evidence_dir))

        @roles(*owner.readers)
        @blp.doc(summary="The stored file (its declared type), checked against its SHA-256 "
                         "first: 409 changed, 410 missing.")
        @_file_responses(blp)
        def get(self, **path):
            stored = integrity.open_verified(db_session(), current_principal(),
                                             attachment(path),
                                             FilesystemStore(app_settings().evidence_dir))
            response = send_file(stored.handle, mimetype=stored.content_type,
                                 etag=stored.sha256, download_name=stored.name)
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response

    base = f"/{owner.name}s/<int:{id_name}>/attachments"
    blp.route(base, endpoint=f"{title}Attachments")(Attachments)
    blp.route(f"{base}/<int:attachment_id>/content",
              endpoint=f"{title}AttachmentContent")(AttachmentContent)


def _file_responses(blp: Blueprint) -> Callable:
    """Document a 200 whose body is the file, in each type a download may have."""
    def decorate(view: Callable) -> Callable:
        view = blp.response(200, FILE, content_type=DOWNLOAD_TYPES[0],
                            description="the file, as RFC 6266 attachment")(view)
        for content_type in DOWNLOAD_TYPES[1:]:
            view = blp.alt_response(200, schema=FILE, content_type=content_type,
                                    success=True)(view)
        return view
    return decorate

