"""Languages: zh-CN by default, English on the switch; every text the code and the
templates use is in both catalogues."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.portal import i18n
from tests.portal.portal_support import post_form, sign_in

PORTAL = Path(__file__).resolve().parents[2] / "services" / "portal"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def used_texts() -> set[str]:
    found = extract_from_dir(str(PORTAL), METHODS, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found
            if isinstance(message, str)}


def catalogue(language: str) -> dict[str, str]:
    path = i18n.CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def test_every_text_in_use_is_translated_and_none_is_left_over():
    used = used_texts()
    assert len(used) > 150
    for language in ("zh_CN", "en"):
        texts = catalogue(language)
        assert used == set(texts), language
        assert all(texts.values()), [k for k, v in texts.items() if not v]


def test_placeholders_survive_translation():
    for msgid, msgstr in catalogue("zh_CN").items():
        assert sorted(re.findall(r"%\(\w+\)\w", msgid)) == \
            sorted(re.findall(r"%\(\w+\)\w", msgstr)), msgid


def test_catalogues_are_compiled_at_start(portal_app):
    target = Path(portal_app.config["PORTAL_TRANSLATIONS_DIR"])
    assert (target / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (target / "en" / "LC_MESSAGES" / "messages.mo").is_file()


def test_a_relative_translations_folder_still_gives_chinese(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)        # KAOPING_VAR_DIR=var/demo: a folder below the cwd
    app = make_app("portal", PORTAL_TRANSLATIONS_DIR="var/demo/portal-translations")
    assert (tmp_path / "var/demo/portal-translations/en/LC_MESSAGES/messages.mo").is_file()
    assert "登录" in app.test_client().get("/sign-in").get_data(as_text=True)


def test_chinese_by_default_english_on_the_switch(portal_app):
    client = portal_app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "<label for=\"username\">用户名</label>" in page
    switched = post_form(client, "/sign-in", {"lang": "en", "next": "/sign-in"},
                         action="/language")
    assert switched.location == "/sign-in"
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<html lang="en">' in page and "<label for=\"username\">Username</label>" in page
    assert "中文" in page


def test_the_choice_outlives_signing_in_and_out(portal_app, make_person):
    make_person("ming", "planner")
    client = portal_app.test_client()
    post_form(client, "/sign-in", {"lang": "en", "next": "/"}, action="/language")
    sign_in(client, "ming")
    assert "Sign out" in client.get("/password").get_data(as_text=True)
    post_form(client, "/password", {}, action="/sign-out")
    assert "Sign in" in client.get("/sign-in").get_data(as_text=True)


def test_an_unknown_language_changes_nothing(portal_app):
    client = portal_app.test_client()
    post_form(client, "/sign-in", {"lang": "fr", "next": "/sign-in"}, action="/language")
    assert '<html lang="zh-CN">' in client.get("/sign-in").get_data(as_text=True)
