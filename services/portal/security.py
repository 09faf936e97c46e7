"""Headers that every portal response carries, pages, errors and static files alike.

The Content-Security-Policy allows scripts and styles only from the portal's own files
(no inline script or style: the templates have none, a test checks) and no framing.
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


def init_security_headers(app: Flask, *, behind_tls: bool) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(HEADERS)
        if behind_tls:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
