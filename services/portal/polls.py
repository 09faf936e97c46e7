"""Polls through the survey API: create one from a questionnaire version, open and close
it, issue one-time web links (as CSV, or as a printable sheet of QR codes per township)
and import keyed-in paper forms."""

from __future__ import annotations

import csv
import io
from itertools import groupby
from typing import Any

import qrcode
from qrcode.image.svg import SvgPathImage

from services.portal.api_client import Apis
from shared.spreadsheets import guard


def polls(apis: Apis) -> list[dict[str, Any]]:
    """Every poll, newest first."""
    return sorted(apis.survey.get_json("/api/v1/polls"), key=lambda p: p["id"], reverse=True)


def questionnaires(apis: Apis) -> list[dict[str, Any]]:
    """Every questionnaire version, newest first."""
    return sorted(apis.survey.get_json("/api/v1/questionnaires"),
                  key=lambda q: (q["code"], -q["version"]))


def townships(apis: Apis) -> list[str]:
    """The townships of the scoring registry (the codes a poll's quotas name)."""
    return sorted(unit["code"] for unit in apis.scoring.get_json("/api/v1/units")
                  if unit.get("kind") == "township")


def poll(apis: Apis, poll_id: int) -> dict[str, Any]:
    """The poll with its quotas and outcome rates."""
    found = apis.survey.get_json(f"/api/v1/polls/{poll_id}")
    found["quota_rows"] = apis.survey.get_json(f"/api/v1/polls/{poll_id}/quotas")
    return found


def create(apis: Apis, body: dict[str, Any], key: str) -> dict[str, Any]:
    return apis.survey.post_json("/api/v1/polls", body, idempotency_key=key)


def act(apis: Apis, poll_id: int, action: str) -> dict[str, Any]:
    """open or close the poll (409 when its state does not allow it)."""
    return apis.survey.post_json(f"/api/v1/polls/{poll_id}/{action}", {})


def issue_links(apis: Apis, poll_id: int, townships: list[str], count: int) -> list[dict]:
    """``count`` new one-time links for respondents of each of ``townships`` (each link
    is shown only now: the service keeps only its hash, so no retry could show them
    again; each call is sent once, without an idempotency key)."""
    links: list[dict] = []
    for township in townships:
        links += apis.survey.post_json(f"/api/v1/polls/{poll_id}/links",
                                       {"township": township, "count": count})["links"]
    return links


def links_csv(links: list[dict]) -> bytes:
    """The links as CSV (UTF-8 with BOM, for spreadsheet programs)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["interview_id", "township", "url", "expires_at"])
    for link in links:
        writer.writerow([link["interview_id"], guard(link.get("township") or ""),
                         guard(link["url"]), link.get("expires_at") or ""])
    return ("\ufeff" + out.getvalue()).encode()


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as an SVG element (vector: sharp on paper at any size)."""
    image = qrcode.make(text, image_factory=SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return svg[svg.index("<svg"):]


def sheet(links: list[dict]) -> list[tuple[str, list[dict]]]:
    """The links grouped by township, each with its QR code, for the printable sheet."""
    ordered = sorted(links, key=lambda link: (link.get("township") or "", link["interview_id"]))
    return [(township, [{**link, "qr": qr_svg(link["url"])} for link in group])
            for township, group in groupby(ordered, key=lambda link: link.get("township") or "")]


def import_paper(apis: Apis, poll_id: int, name: str, content: bytes) -> list[dict]:
    """Keyed-in paper forms (CSV/XLSX); all or nothing (422 lists row and column)."""
    return apis.survey.request("POST", f"/api/v1/polls/{poll_id}/paper-import",
                               files={"file": (name, content)}).json()
