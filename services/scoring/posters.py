"""A printable A4 poster per township for its web poll: the township's name, the poll,
the QR code of the poll's link (``qrcode``, drawn as SVG paths, error correction M) and
the link in words, in zh-CN by default. Rendered by the documents' templates
(``templates/documents/poster.html``) to PDF."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg

from services.scoring import document_render
from services.scoring.document_texts import texts


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (one path; no XML prolog)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(url)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    text = out.getvalue().decode()
    return text[text.index("<svg"):]


def poster(township: str, poll_name: str, url: str, lang: str = "zh") -> document_render.Rendered:
    t = texts(lang)
    context = {"kind": "poster", "lang": lang, "t": t, "url": url, "poll_name": poll_name,
               "title": t["poster"].format(township=township), "footer": "",
               "qr": qr_svg(url)}
    return document_render.render("poster", context)
