"""``kaoping report``: documents from published runs, and poll posters.

``kaoping report notice|bulletin|midyear|yearend --period P [--lang en] --out FILE.pdf``
asks the running scoring service (``SCORING_URL``, a locally minted planner token) for
the document of the latest published run of the kind and period — made and archived on
the first request, the archived one afterwards — and writes its PDF (``--html`` also
writes the HTML beside it). It prints the document's id, pages, size and SHA-256.

``kaoping report poster --poll ID --url URL --out-dir DIR`` writes one A4 poster per
township of the survey poll (``SURVEY_URL``) with the QR code of ``URL`` (``{township}``
in it is replaced by the township's code); township names from the scoring registry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from services.scoring.models.documents import DOCUMENT_KINDS, LANGUAGES
from services.scoring.run_cli import _post
from shared.auth import issue_token
from shared.client import ServiceClient
from shared.gunicorn_settings import service_url


def register(sub) -> None:
    report = sub.add_parser("report", help="documents (PDF) from published runs; poll posters")
    actions = report.add_subparsers(dest="report_command", required=True, metavar="KIND")
    for kind in DOCUMENT_KINDS:
        one = actions.add_parser(kind, help=f"the {kind} of a published run as PDF")
        one.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
        one.add_argument("--lang", choices=LANGUAGES, default="zh")
        one.add_argument("--out", required=True, type=Path, help="the PDF to write")
        one.add_argument("--html", action="store_true", help="also write the HTML")
        one.add_argument("--poll", type=int, action="append", default=None,
                         help="survey poll the bulletin prints (default the run's polls)")
        one.add_argument("--missing-source", choices=("fail", "skip"), default="fail")
        one.add_argument("--url", default=None, help="scoring service (default SCORING_URL)")
        one.set_defaults(func=_document, kind=kind)
    poster = actions.add_parser("poster", help="an A4 poster per township of a web poll")
    poster.add_argument("--poll", required=True, type=int, help="survey poll id")
    poster.add_argument("--url", required=True,
                        help="the poll's link; {township} is replaced by the township code")
    poster.add_argument("--out-dir", required=True, type=Path)
    poster.add_argument("--lang", choices=LANGUAGES, default="zh")
    poster.set_defaults(func=_posters)


def _client(service: str, url: str | None = None) -> ServiceClient:
    return ServiceClient(service, url or service_url(service),
                         issue_token("kaoping-cli", "planner", ttl=900), timeout=300)


def fetch_document(client: ServiceClient, body: dict[str, Any]) -> tuple[dict, bytes, str]:
    """POST the document request; the record, its PDF and its HTML."""
    record = _post(client, "/api/v1/documents", body)
    pdf = client.request("GET", f"/api/v1/documents/{record['id']}/pdf").content
    html = client.request("GET", f"/api/v1/documents/{record['id']}/html").text
    return record, pdf, html


def _document(args) -> int:
    body: dict[str, Any] = {"kind": args.kind, "period": args.period, "lang": args.lang,
                            "missing_source": args.missing_source}
    if args.poll:
        body["polls"] = args.poll
    record, pdf, html = fetch_document(_client("scoring", args.url), body)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    if args.html:
        args.out.with_suffix(".html").write_text(html, encoding="utf-8")
    digest = hashlib.sha256(pdf).hexdigest()
    print(f"{record['title']}: document {record['id']} of run {record['run_id']}, "
          f"{record['pages']} pages, {len(pdf):,} bytes, sha256 {digest}")
    print(f"wrote {args.out}")
    return 0 if digest == record["pdf_sha256"] else 1


def _posters(args) -> int:
    from services.scoring import posters  # QR codes and the templates: only this command

    poll = _client("survey").get_json(f"/api/v1/polls/{args.poll}")
    units = {u["code"]: u for u in _client("scoring").get_json("/api/v1/units?kind=township")}
    name = "name_zh" if args.lang == "zh" else "name_en"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for township in poll["townships"]:
        code = township["code"]
        made = posters.poster(units.get(code, {}).get(name, code), poll[name],
                              args.url.replace("{township}", code), args.lang)
        path = args.out_dir / f"poster-{args.poll}-{code}.pdf"
        path.write_bytes(made.pdf)
        print(f"wrote {path} ({len(made.pdf):,} bytes)")
    return 0
