"""Headers that every portal response carries, pages, errors and static files alike.

The Content-Security-Policy allows scripts and styles only from the portal's own files
(no inline script or style: the templates have none, a test checks) and no framing;
only the field pages may ask for the device's location and camera.
Pages are not cached (they show a person's data). Behind the TLS gateway
(``KAOPING_BEHIND_PROXY``) the cookie is Secure and browsers are told to keep to HTTPS.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# The inspector's field pages check in with the device's location and take photos, and
# show each photo from the device (a blob: URL) before it is sent.
FIELD_CSP = CSP.replace("img-src 'self' data:", "img-src 'self' data: blob:")
FIELD_PERMISSIONS = "camera=(self), microphone=(), geolocation=(self), payment=()"
# The dashboard's charts are SVG files shown with <img>: matplotlib styles their elements
# inline, and an SVG image runs no script and loads nothing.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
# A document's HTML read in the browser: its own inline style and data: charts, no
# script, no form, no request anywhere, in a sandbox (an origin of its own).
DOCUMENT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox")


def init_security_headers(app: Flask, *, behind_tls: bool) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        if request.blueprint == "field":
            response.headers["Permissions-Policy"] = FIELD_PERMISSIONS
            response.headers["Content-Security-Policy"] = FIELD_CSP
        if request.blueprint == "dashboard" and response.mimetype == "image/svg+xml":
            response.headers["Content-Security-Policy"] = CHART_CSP
        if request.endpoint == "documents.download" and response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = DOCUMENT_CSP
        if behind_tls:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
