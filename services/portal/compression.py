"""gzip for the portal's own files: what is under ``static/`` and the field pages'
service worker script (``/field/sw.js``), never a page.

On a slow mobile network the field page's script and stylesheets are most of what a
first load transfers; gzip takes them to about a quarter. Pages stay uncompressed on
purpose: every page carries the CSRF token (the language and sign-out forms) in the same
body as what the request asked for (the path and query, reflected in the language
form's ``next``), which is what BREACH needs to read the token from the sizes of
compressed answers. A static file holds no secret and reflects nothing.

The compressed answer says ``Vary: Accept-Encoding`` (so does the plain one, for a shared
cache), and its ETag becomes weak (``W/"…"``): the gzip bytes are not the file's bytes, so
the file's strong validator must not name them, while a revalidation still answers 304
(``If-None-Match`` compares weakly). A 304 to a client that takes gzip carries the same
weak ETag as the 200 it confirms. Range answers (206) and clients that do not take gzip
get the file as it is.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

from flask import Flask, Response, request

# The only endpoints whose answers are compressed: files that hold no secret.
ENDPOINTS = frozenset({"static", "field.service_worker"})
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript",
                          "image/svg+xml", "application/manifest+json", "text/plain"})
MIN_BYTES = 512  # below this the gzip header and the round trip save nothing


@lru_cache(maxsize=64)
def gzipped(data: bytes) -> bytes:
    """The gzip of ``data``, the same bytes every time (no timestamp); kept for the
    process's life, keyed by the content itself, so a changed file is compressed anew."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def takes_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def compress_static(response: Response) -> Response:
    if request.endpoint not in ENDPOINTS or request.method != "GET":
        return response
    if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return response
    response.vary.add("Accept-Encoding")
    if not takes_gzip() or response.status_code not in (200, 304):
        return response
    etag, _weak = response.get_etag()
    if etag:
        response.set_etag(etag, weak=True)
    if response.status_code != 200:
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzipped(data))
    response.headers["Content-Encoding"] = "gzip"
    response.headers.pop("Accept-Ranges", None)
    return response


def init_compression(app: Flask) -> None:
    app.after_request(compress_static)
