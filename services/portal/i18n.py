"""Languages: zh-CN by default, English on a switch (Flask-Babel catalogues).

The catalogues are the ``.po`` files under ``translations/``; at app start they are
compiled to ``.mo`` files in ``PORTAL_TRANSLATIONS_DIR`` (under ``var/``, writable even
where the package is not), which Flask-Babel reads. The person's choice is kept in the
session.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, session
from flask_babel import Babel

CATALOGUES = Path(__file__).with_name("translations")
LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT = "zh_CN"


def compile_catalogues(target: Path) -> None:
    """Write ``<target>/<locale>/LC_MESSAGES/messages.mo`` for each ``.po`` (atomically, so
    that workers starting together do not read half a file). The folder is named as Babel
    names the locale (``zh_CN`` is ``zh_Hans_CN``), which is where Flask-Babel looks."""
    for source in CATALOGUES.glob("*/LC_MESSAGES/messages.po"):
        locale = Locale.parse(source.parts[-3])
        folder = target / str(locale) / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalogue)
        os.replace(temporary, folder / "messages.mo")


def current_language() -> str:
    wanted = session.get("lang")
    return wanted if wanted in LANGUAGES else DEFAULT


def init_languages(app: Flask) -> None:
    # Absolute: Flask-Babel would read a relative folder (KAOPING_VAR_DIR=var/x) against
    # the app's root (services/portal/), find no catalogue and show English.
    target = Path(app.config["PORTAL_TRANSLATIONS_DIR"]).resolve()
    compile_catalogues(target)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    Babel(app, locale_selector=current_language)

    @app.context_processor
    def _languages():
        language = current_language()
        return {"languages": LANGUAGES, "language": language,
                "html_lang": language.replace("_", "-")}
