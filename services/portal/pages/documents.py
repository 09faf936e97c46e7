"""The office's documents: the list with the PDF to download and the HTML to read in the
browser, read from the scoring API with the person's token (planners, analysts and
leaders). The HTML is the document itself (its style inline, its charts as ``data:``
images): it is shown with a policy of its own (``security.DOCUMENT_CSP``) that lets it
style itself and run nothing."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from services.portal import access, documents

bp = Blueprint("documents", __name__)
READERS = ("planner", "analyst", "leader")


@bp.get("/documents")
@access.require(*READERS)
def index():
    return render_template("documents/index.html",
                           documents=documents.list_documents(access.apis()))


@bp.get("/documents/<int:document_id>.<any(pdf, html):what>")
@access.require(*READERS)
def download(document_id: int, what: str):
    content, mime, name = documents.download(access.apis(), document_id, what)
    if not content:
        abort(404)
    shown = "inline" if what == "html" else "attachment"
    return Response(content, mimetype=mime.split(";")[0],
                    headers={"Content-Disposition": f'{shown}; filename="{name}"'})
