"""What the demo's steps share: numbered sections, progress lines, outputs, tokens."""

import jwt

from shared.auth import decode_token


def test_sections_are_numbered_in_order(demo_context, capsys):
    ctx = demo_context()
    ctx.section("First")
    ctx.say("  a line")
    ctx.section("Second")
    assert capsys.readouterr().out.splitlines() == ["== 1. First ==", "  a line",
                                                     "== 2. Second =="]


def test_progress_in_a_log_prints_the_first_and_the_final_line(demo_context, capsys):
    ctx = demo_context()
    for second in range(3):
        ctx.progress(f"dialled {second}")
    ctx.progress("dialled 9", final=True)
    assert capsys.readouterr().out.splitlines() == ["dialled 0", "dialled 9"]


def test_save_writes_text_as_utf8_and_bytes_as_they_are(demo_context, tmp_path):
    ctx = demo_context()
    assert ctx.save("a.txt", "乡镇") == tmp_path / "a.txt"
    ctx.save("b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_bytes() == "乡镇".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"


def test_a_client_carries_a_token_of_the_role_signed_with_the_settings_key(demo_context):
    ctx = demo_context(scoring="http://127.0.0.1:9")
    client = ctx.client("scoring", "unit", "T05")
    principal = decode_token(client.token, ctx.settings.jwt_secret)
    assert (principal.sub, principal.role, principal.unit) == ("demo-unit", "unit", "T05")
    claims = jwt.decode(client.token, ctx.settings.jwt_secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 4 * 3600
    assert client.base_url == "http://127.0.0.1:9"
