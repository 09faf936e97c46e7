"""Poll posters: an A4 page per township with the QR code of the poll's link."""

import qrcode

from services.scoring import posters
from tests.scoring.document_support import pdf_fonts, pdf_text


def test_poster_prints_the_township_the_link_and_its_code():
    url = "https://kaoping.example/poll/T01?src=poster"
    made = posters.poster("甲镇", "2026 年群众满意度调查", url)
    text = pdf_text(made.pdf)
    assert made.pages == 1 and "甲镇 群众满意度调查" in text and url in text
    assert "请用手机扫描二维码" in text
    assert all(f["emb"] == "yes" for f in pdf_fonts(made.pdf))
    assert posters.poster("甲镇", "2026 年群众满意度调查", url).sha256 == made.sha256


def test_qr_svg_is_the_code_of_the_link():
    url = "https://kaoping.example/poll/T02"
    svg = posters.qr_svg(url)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(url)
    code.make(fit=True)
    size = len(code.get_matrix())  # modules including the border
    assert svg.startswith("<svg") and f'viewBox="0 0 {size} {size}"' in svg
    assert svg != posters.qr_svg(url + "x")
