"""Streaming an attachment's bytes in and out of the evidence store over HTTP."""

from flask import current_app, request, send_file

from services.inspection.evidence import download_name, receive, store_for
from services.inspection.integrity import open_verified
from services.inspection.models.visit import Attachment
from shared.auth import current_principal
from shared.db import db_session
from shared.errors import Conflict

# OpenAPI: the upload body is the file itself.
BINARY_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


def upload(attachment: Attachment) -> Attachment:
    """Read the request body in chunks into the store (the body is never held whole)."""
    request.max_content_length = current_app.config["INSPECTION_EVIDENCE_MAX_BYTES"]
    return receive(db_session(), current_principal(), attachment, request.stream,
                   store_for(current_app))


def download(attachment: Attachment):
    """The stored file, checked against its SHA-256 first (409/410 when it is not intact);
    the name goes out as RFC 6266 ``filename``/``filename*=UTF-8''…``."""
    if attachment.status != "received":
        raise Conflict("The file has not arrived yet", {"status": [attachment.status]})
    handle = open_verified(db_session(), current_principal(), attachment,
                           store_for(current_app))
    response = send_file(handle, mimetype=attachment.content_type, etag=attachment.sha256,
                         download_name=download_name(attachment.filename, attachment.id))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
