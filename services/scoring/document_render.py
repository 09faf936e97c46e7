"""Documents from one set of templates to HTML and PDF.

``templates/documents/`` holds the Jinja2 templates (``notice``, ``bulletin``, ``report``
for mid-year and year-end, ``poster``) and their print stylesheet; the HTML is complete
in itself (style and SVG charts inline) and the PDF is that HTML printed by WeasyPrint
(Pango and HarfBuzz shape the text; the fonts, the distribution's Noto CJK, are embedded
as subsets). The PDF carries no creation or modification date, so the same context gives
the same bytes.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import io
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

TEMPLATE_OF_KIND = {"notice": "notice.html", "bulletin": "bulletin.html",
                    "midyear": "report.html", "yearend": "report.html",
                    "poster": "poster.html"}

_env = Environment(loader=PackageLoader("services.scoring", "templates"),
                   autoescape=select_autoescape(("html",)), trim_blocks=True,
                   lstrip_blocks=True)


def svg_img(svg: str) -> Markup:
    """A chart as an ``<img>`` of a ``data:`` URI: the printer parses the SVG with its XML
    parser instead of the HTML tokenizer walking every element (about a second less for
    the county's bulletin), and the HTML stays one self-contained file."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<img class="chart" alt="" src="data:image/svg+xml;base64,{data}">')


_env.filters["svg_img"] = svg_img
_css = (resources.files("services.scoring") / "templates" / "documents" /
        "documents.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Rendered:
    html: str
    pdf: bytes
    sha256: str
    pages: int


def html(kind: str, context: dict[str, Any]) -> str:
    template = _env.get_template(f"documents/{TEMPLATE_OF_KIND[kind]}")
    return template.render(c=context, css=_css, lang=context["lang"], title=context["title"],
                           footer=context.get("footer", ""))


def pdf(document_html: str) -> tuple[bytes, int]:
    """The PDF of a document's HTML and its page count."""
    from weasyprint import HTML  # imported when a document is made (a heavy import)

    with collector_paused():
        rendered = HTML(string=document_html).render()
        out = io.BytesIO()
        rendered.write_pdf(out, uncompressed_pdf=False)
    return out.getvalue(), len(rendered.pages)


@contextmanager
def collector_paused():
    """Python's cycle collector off while a document is drawn (the charts) and printed.
    matplotlib and the printer make hundreds of thousands of short-lived objects; each
    collection they trigger also walks the service's whole heap (its app, SQLAlchemy,
    matplotlib), which cost about a fifth of the bulletin's time (bench/bench_bulletin.py).
    What they leave in cycles is collected after, at the next collection. (Process-wide:
    another request meanwhile runs without it too, for those few seconds.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def render(kind: str, context: dict[str, Any]) -> Rendered:
    text = html(kind, context)
    data, pages = pdf(text)  # (pdf pauses the collector itself)
    return Rendered(text, data, hashlib.sha256(data).hexdigest(), pages)
