"""gzip for the portal's own files (what is under ``static/`` and the field pages'
service worker script, ``/field/sw.js``) and for the inspector's two field pages.

On a slow mobile network the field page's script and stylesheets are most of what a
first load transfers; gzip takes them to about a quarter. A static file holds no secret
and reflects nothing. Other pages stay uncompressed on purpose: every page carries the
CSRF token (the language and sign-out forms) in the same body as what the request asked
for (the path and query, reflected in the language form's ``next``), which is what
BREACH needs to read the token from the sizes of compressed answers. The field pages
(``PAGES``) are compressed because their first load on a slow network is the one that
counts (the visit sheet is usable as soon as its HTML has arrived): on them ``next`` is
the path alone (``return_path``), and their routes match only ``/field/`` and digits, so
their GET answers reflect nothing an attacker could choose. Their answers to a POST
(the sheet shown again with what was typed) are not compressed.

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

# The only endpoints whose answers are compressed: files that hold no secret...
ENDPOINTS = frozenset({"static", "field.service_worker"})
# ...and the pages that reflect nothing of the request (their GET answers only).
PAGES = frozenset({"field.index", "field.visit"})
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


def return_path() -> str:
    """Where a page's forms send the person back (``next``): the path and query, or on a
    compressed page (``PAGES``) the path alone, so that its body reflects no query."""
    if request.endpoint in PAGES:
        return request.path
    return request.full_path.rstrip("?")


def compress_page(response: Response) -> Response:
    """A field page's GET answer, gzipped for a client that takes it (not cached: every
    answer carries its own tokens)."""
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or response.mimetype != "text/html" \
            or "Content-Encoding" in response.headers or not takes_gzip():
        return response
    response.direct_passthrough = False
    return _gzip_body(response, gzip.compress(response.get_data(), compresslevel=6, mtime=0))


def _gzip_body(response: Response, compressed: bytes) -> Response:
    response.set_data(compressed)
    response.headers["Content-Encoding"] = "gzip"
    return response


def compress(response: Response) -> Response:
    """After each request: gzip a field page (``compress_page``) or one of ``ENDPOINTS``'
    files; every other answer as it is."""
    if request.endpoint in PAGES and request.method == "GET":
        return compress_page(response)
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
    response.headers.pop("Accept-Ranges", None)
    return _gzip_body(response, gzipped(data))


def init_compression(app: Flask) -> None:
    app.after_request(compress)
    app.add_template_global(return_path)
