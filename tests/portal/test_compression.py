"""gzip for the portal's static files and the service worker script, never for a page
(BREACH: pages carry the CSRF token beside the reflected path and query) but the field
pages, which reflect no query; Vary, weak ETags and 304 revalidation stay right."""

import gzip
from pathlib import Path

import pytest

from tests.portal.portal_support import sign_in

STATIC = Path(__file__).resolve().parents[2] / "services" / "portal" / "static"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.mark.parametrize("path, file, mimetype", [
    ("/static/field.js", "field.js", "text/javascript"),
    ("/static/portal.css", "portal.css", "text/css"),
    ("/static/field.css", "field.css", "text/css"),
    ("/field/sw.js", "field-sw.js", "text/javascript"),
])
def test_static_files_are_sent_gzipped_to_a_client_that_takes_gzip(portal_app, path, file,
                                                                   mimetype):
    on_disk = (STATIC / file).read_bytes()
    response = portal_app.test_client().get(path, headers=GZIP)
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body) < len(on_disk) / 2
    assert gzip.decompress(body) == on_disk
    assert "Accept-Ranges" not in response.headers


def test_a_client_that_does_not_take_gzip_gets_the_file_as_it_is(portal_app):
    on_disk = (STATIC / "field.js").read_bytes()
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br"}):
        response = portal_app.test_client().get("/static/field.js", headers=headers)
        assert "Content-Encoding" not in response.headers, headers
        assert response.get_data() == on_disk
        assert "Accept-Encoding" in response.headers["Vary"]
        etag, weak = response.get_etag()
        assert etag and not weak


def test_the_gzip_copy_has_a_weak_etag_that_revalidates_to_304(portal_app):
    client = portal_app.test_client()
    plain = client.get("/static/field.js")
    packed = client.get("/static/field.js", headers=GZIP)
    (plain_tag, plain_weak), (packed_tag, packed_weak) = plain.get_etag(), packed.get_etag()
    # The same file, so the same opaque tag, but not a strong validator of the gzip bytes.
    assert packed_tag == plain_tag and packed_weak and not plain_weak
    again = client.get("/static/field.js", headers={
        **GZIP, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == packed.headers["ETag"]
    assert "Accept-Encoding" in again.headers["Vary"]
    # The plain copy's strong tag revalidates the plain copy.
    plain_again = client.get("/static/field.js", headers={"If-None-Match": plain.headers["ETag"]})
    assert plain_again.status_code == 304 and plain_again.headers["ETag"] == plain.headers["ETag"]
    # A changed file does not revalidate.
    stale = client.get("/static/field.js", headers={**GZIP, "If-None-Match": 'W/"stale"'})
    assert stale.status_code == 200 and stale.headers["Content-Encoding"] == "gzip"


def test_a_range_request_gets_the_plain_bytes(portal_app):
    on_disk = (STATIC / "field.js").read_bytes()
    response = portal_app.test_client().get("/static/field.js",
                                            headers={**GZIP, "Range": "bytes=0-99"})
    assert response.status_code == 206 and "Content-Encoding" not in response.headers
    assert response.get_data() == on_disk[:100]


def test_pages_other_than_the_field_pages_are_never_compressed(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    sign_in_page = client.get("/sign-in?next=/people", headers=GZIP)
    assert sign_in_page.status_code == 200 and "csrf_token" in sign_in_page.get_data(as_text=True)
    sign_in(client, "ming")
    # The language form reflects the path and query next to the token.
    response = client.get("/?x=reflected", headers=GZIP)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert b"csrf_token" in response.get_data() and b"x=reflected" in response.get_data()


def test_the_field_pages_are_compressed_and_reflect_no_query(county_portal, make_person):
    make_person("insp1", "inspector")
    client = county_portal.test_client()
    sign_in(client, "insp1")
    response = client.get("/field/?x=reflected", headers=GZIP)
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = gzip.decompress(response.get_data())
    assert b"csrf_token" in html and b"reflected" not in html
    assert b'name="next" value="/field/"' in html
    plain = client.get("/field/")
    assert "Content-Encoding" not in plain.headers and plain.get_data().startswith(b"<!doctype")
