"""Streaming an attachment's bytes in and out of the evidence store over HTTP."""

from flask import current_app, request, send_file

from services.inspection.evidence import receive, store_for
from services.inspection.models.visit import Attachment
from shared.db import db_session
from shared.errors import Conflict

# OpenAPI: the upload body is the file itself.
BINARY_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


def upload(attachment: Attachment) -> Attachment:
    """Read the request body in chunks into the store (the body is never held whole)."""
    request.max_content_length = current_app.config["INSPECTION_EVIDENCE_MAX_BYTES"]
    return receive(db_session(), attachment, request.stream, store_for(current_app))


def download(attachment: Attachment):
    if attachment.status != "received":
        raise Conflict("The file has not arrived yet", {"status": [attachment.status]})
    handle = store_for(current_app).open(attachment.storage_key)
    return send_file(handle, mimetype=attachment.content_type, download_name=attachment.filename,
                     etag=attachment.sha256)
