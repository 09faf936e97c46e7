"""What people see: colour pairs of the stylesheet pass WCAG AA, every input has its
label, every page scales on a phone."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.portal.portal_support import sign_in

CSS = (Path(__file__).resolve().parents[2] / "services" / "portal" / "static"
       / "portal.css").read_text()
# (text, background) pairs the stylesheet puts together.
PAIRS = [("ink", "paper"), ("muted", "paper"), ("brand", "paper"), ("#ffffff", "brand"),
         ("#ffffff", "brand-dark"), ("danger", "paper"), ("danger", "error-wash"),
         ("ink", "error-wash"), ("ink", "ok-wash"), ("ink", "wash"), ("muted", "wash"),
         ("#ffffff", "danger"), ("brand", "ok-wash")]


def colour(name: str) -> str:
    if name.startswith("#"):
        return name
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS).group(1)


def luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(colour(a)), luminance(colour(b))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("text, background", PAIRS)
def test_text_colours_pass_wcag_aa(text, background):
    assert contrast(text, background) >= 4.5, (text, background)


def test_the_focus_ring_stands_out():
    assert contrast("focus", "paper") >= 3


class Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.inputs.append(attrs.get("id"))
        elif tag == "label":
            self.labels.add(attrs.get("for"))


@pytest.mark.parametrize("role, unit, paths", [
    ("admin", None, ["/people", "/password", "/events"]),
    ("unit", "T01", ["/password"]),
])
def test_every_input_has_a_label(portal_app, make_person, role, unit, paths):
    make_person("ming", role, unit)
    client = portal_app.test_client()
    pages = {"/sign-in": client.get("/sign-in"), "/reset": client.get("/reset")}
    sign_in(client, "ming")
    pages.update({path: client.get(path) for path in paths})
    person = client.get("/people/1") if role == "admin" else None
    for path, response in [*pages.items(), ("/people/1", person)]:
        if response is None:
            continue
        html = response.get_data(as_text=True)
        found = Inputs()
        found.feed(html)
        assert all(found.inputs), path
        assert set(found.inputs) <= found.labels, (path, set(found.inputs) - found.labels)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
        assert '<a class="skip" href="#main">' in html
