"""Web mode: the respondent's pages at ``/r/<token>``, server-rendered, no JavaScript.

One question per page; every answer is saved as it is posted (so closing the page
and opening the link again resumes where the respondent left off), then a 303
redirect shows the next question that skip logic asks. The last page submits; a
second submit changes nothing. zh-CN by default, ``?lang=en`` switches. A link past
its ``expires_at`` shows "link expired" (410) and saves nothing.

The link's token authenticates (views are ``@public``); POSTs also need the CSRF
token, a random value kept in a SameSite cookie and echoed in a hidden field.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from shared.auth import public
from shared.client import ServiceError
from shared.db import db_session
from shared.errors import Conflict, DependencyDown, ValidationFailed

from . import links
from .links import REQUIRED
from .models.links import RespondentLink
from .questionnaire_answers import AnswerError
from .questionnaire_document import LANGUAGES, special_codes, substantive_codes
from .scoring_registry import scoring_registry

respondent = Blueprint("respondent", __name__, template_folder="templates")
CSRF_COOKIE = "kaoping_csrf"
MESSAGES = {
    "zh-CN": {
        "invalid": "链接无效或已过期。", "closed": "本次调查已结束，感谢您的关注。",
        "not_open": "本次调查尚未开始或不在调查期内。", "thanks": "问卷已提交，感谢您的参与！",
        "quota": "本镇的样本已经收满，感谢您的关注。", "ended": "本次访问已结束。",
        "next": "下一题", "back": "上一题", "submit": "提交问卷", "dk": "不知道",
        "refused": "不愿回答", "choose_township": "请选择您居住的乡镇",
        "review": "您已回答全部问题。提交后不能再修改。", "progress": "第 {i} 题，共约 {n} 题",
        "required": REQUIRED["zh-CN"], "csrf": "页面已过期，请重新打开链接。",
        "optional": "（可不答）",
        "edit": "修改", "expired": "此链接已过期，不能再填写问卷。感谢您的关注。",
    },
    "en": {
        "invalid": "This link is not valid.", "closed": "This survey has ended. Thank you.",
        "not_open": "This survey is not open at the moment.",
        "thanks": "Your answers have been submitted. Thank you for taking part!",
        "quota": "We already have enough answers from your township. Thank you.",
        "ended": "This interview has ended.", "next": "Next", "back": "Back",
        "submit": "Submit", "dk": "Don't know", "refused": "Prefer not to say",
        "choose_township": "Please choose the township where you live",
        "review": "You have answered every question. After submitting you cannot change it.",
        "progress": "Question {i} of about {n}", "required": REQUIRED["en"],
        "csrf": "This page has expired; please open the link again.",
        "optional": "(optional)", "edit": "Change",
        "expired": "This link has expired; the questionnaire can no longer be filled in. "
                   "Thank you for your interest.",
    },
}
NAMES_TTL = 600.0    # seconds a process keeps the registry's township names


# HTTP status of the page that says why a link takes no answers (``links.link_state``).
STATE_STATUS = {"invalid": 404, "expired": 410, "thanks": 200, "quota": 200, "closed": 410,
                "not_open": 409, "ended": 410}


def _language(interview) -> str:
    wanted = request.args.get("lang") or request.form.get("lang")
    if wanted in LANGUAGES and wanted != interview.language:
        interview.language = wanted
    return interview.language if interview.language in LANGUAGES else "zh-CN"


def _csrf_token() -> str:
    token = request.cookies.get(CSRF_COOKIE)
    return token if token and len(token) == 43 else secrets.token_urlsafe(32)


def _csrf_ok() -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    field = request.form.get("csrf", "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), field.encode())


def _page(template: str, status: int = 200, **context) -> Response:
    csrf = _csrf_token()
    lang = context.get("lang", "zh-CN")
    body = render_template(template, csrf=csrf, t=MESSAGES[lang], **context)
    response = make_response(body, status)
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Lax",
                        secure=request.is_secure, max_age=7 * 24 * 3600)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'unsafe-inline'"
    return response


def _message(key: str, lang: str, status: int, token: str | None = None) -> Response:
    return _page("respondent/message.html", status, lang=lang, key=key, token=token)


def _township_names(lang: str) -> dict[str, str]:
    """Township names from the registry, cached for ten minutes; codes if it is down."""
    cache = current_app.extensions.setdefault("survey_township_names", {"at": -NAMES_TTL})
    if time.monotonic() - cache["at"] > NAMES_TTL:
        try:
            units = scoring_registry().townships()
        except (DependencyDown, ServiceError):
            return {}
        cache["names"] = {u["code"]: (u.get("name_zh"), u.get("name_en")) for u in units}
        cache["at"] = time.monotonic()
    return {code: (names[0] if lang == "zh-CN" else names[1]) or code
            for code, names in cache["names"].items()}


def _open(token: str, lang_default: str = "zh-CN") -> tuple[RespondentLink | None, str]:
    link = links.open_link(db_session(), token)
    return link, (_language(link.interview) if link else lang_default)


def _stop(link: RespondentLink | None, lang: str, token: str) -> Response | None:
    """The message page when the link takes no answers now, else None."""
    state = links.link_state(link)
    if state is None:
        return None
    return _message(state, lang, STATE_STATUS[state], None if link is None else token)


@respondent.get("/r/<token>")
@public
def show(token: str):
    lang = request.args.get("lang") if request.args.get("lang") in LANGUAGES else "zh-CN"
    link, lang = _open(token, lang)
    stop = _stop(link, lang, token)
    if stop is not None:
        return stop
    return _question_page(link, token, lang, request.args.get("q"))


def _question_page(link: RespondentLink, token: str, lang: str, wanted: str | None,
                   error: str | None = None, status: int = 200) -> Response:
    poll, page = link.poll, links.next_page(link, wanted)
    if page.kind == "township":
        names = _township_names(lang)
        choices = [(t.township, names.get(t.township, t.township)) for t in poll.townships]
        return _page("respondent/township.html", status, lang=lang, token=token, poll=poll,
                     choices=choices, error=error)
    if page.kind == "review":
        questions = {q["id"]: q for q in page.document["questions"]}
        summary = [(questions[qid], _display(questions[qid], page.answers.get(qid), lang))
                   for qid in page.shown]
        return _page("respondent/review.html", status, lang=lang, token=token, poll=poll,
                     summary=summary, back=page.shown[-1] if page.shown else None)
    question = page.question
    return _page("respondent/question.html", status, lang=lang, token=token, poll=poll,
                 q=question, choices=_choices(question, lang),
                 value=page.answers.get(question["id"]), specials=_specials(question, lang),
                 error=error, previous=page.previous,
                 intro=page.document.get("intro") if page.position == 0 else None,
                 progress=MESSAGES[lang]["progress"].format(i=page.position + 1,
                                                            n=len(page.shown)))


def _label(texts: dict, lang: str) -> str:
    return texts.get(lang) or texts.get("zh-CN", "")


def _choices(question: dict, lang: str) -> list[tuple[int, str]]:
    kind = question["type"]
    if kind in ("single", "multiple"):
        return [(o["code"], _label(o["label"], lang)) for o in question["options"]]
    if kind == "yesno":
        return [(1, "是" if lang == "zh-CN" else "Yes"), (2, "否" if lang == "zh-CN" else "No")]
    if kind == "rating":
        return [(code, str(code)) for code in substantive_codes(question)]
    return []


def _specials(question: dict, lang: str) -> list[tuple[int, str]]:
    return [(code, MESSAGES[lang][kind]) for code, kind in special_codes(question).items()]


def _display(question: dict, value: Any, lang: str) -> str:
    if value is None:
        return "—"
    labels = dict(_choices(question, lang)) | dict(_specials(question, lang))
    values = value if isinstance(value, list) else [value]
    return "；".join(str(labels.get(v, v)) for v in values)


@respondent.post("/r/<token>")
@public
def answer(token: str):
    link, lang = _open(token)
    stop = _stop(link, lang, token)
    if stop is not None:
        return stop
    if not _csrf_ok():
        return _message("csrf", lang, 400, token)
    if link.interview.township is None:
        if not links.choose_township(link, request.form.get("township", "")):
            return _question_page(link, token, lang, None, MESSAGES[lang]["required"], 422)
        return _next(token, lang)
    qid = request.form.get("question", "")
    try:
        if links.answer_question(db_session(), link, qid, request.form.get("special"),
                                 request.form.getlist("answer")) == "quota":
            return _message("quota", lang, 200, token)
    except AnswerError as exc:
        return _question_page(link, token, lang, qid, exc.messages[lang], 422)
    except (ValidationFailed, Conflict):
        db_session().rollback()
    return _next(token, lang)


def _next(token: str, lang: str) -> Response:
    return redirect(url_for("respondent.show", token=token, lang=lang), 303)


@respondent.post("/r/<token>/submit")
@public
def submit(token: str):
    link, lang = _open(token)
    if link is not None and link.interview.status == "complete" and not links.link_expired(link):
        return _next(token, lang)
    stop = _stop(link, lang, token)
    if stop is not None:
        return stop
    if not _csrf_ok():
        return _message("csrf", lang, 400, token)
    links.submit(db_session(), link)
    return _next(token, lang)


def init_web(app) -> None:
    """Register the respondent pages (called from the app's configure hook)."""
    app.register_blueprint(respondent)
