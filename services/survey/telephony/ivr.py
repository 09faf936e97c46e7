"""The IVR: TwiML for each step of a telephone interview, built with
``twilio.twiml.voice_response``, and the keypad mapping of each question type.

Keys: single choice and yes/no options are keys 1…n in the questionnaire's order
(at most 7); "don't know" is 8 and "refused" is 9. A rating scale that fits in keys
0–7 uses its own numbers; a wider scale (e.g. 0–10) and numbers are typed and ended
with ``#`` (the DK / refused codes are typed as numbers). Multiple choice: the option
keys one after another, then ``#``. Text and voice questions are answered by voice
with ``<Record>``. Each ``<Gather>`` is re-asked on no input or invalid input up to
``max_tries`` times; then the question is coded as no answer and the interview goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

from services.survey.questionnaire_answers import AnswerError, check_answer
from services.survey.questionnaire_document import substantive_codes, text_in

DK_KEY, REFUSED_KEY, OPT_OUT_KEY = "8", "9", "9"
ACCEPT_KEY, DECLINE_KEY = "1", "2"

PHRASES = {
    "zh-CN": {
        "intro": "您好！这里是县考评办公室的群众满意度电话调查，大约需要三分钟。",
        "recorded": "为保证调查质量，本次通话将被录音。",
        "consent": "同意参加请按1，不愿参加请按2，如不希望再接到此类电话请按9。",
        "resume": "您好！感谢您上次接受我们的调查，现在继续刚才的问题。继续请按1，不愿继续请按2。",
        "option": "{label}请按{key}。",
        "dk": "不知道请按8，",
        "refused": "不愿回答请按9。",
        "range": "请按{low}到{high}打分，{high}表示{high_label}，{low}表示{low_label}。",
        "typed": "请输入数字，",
        "typed_codes": "不知道请输入{dk}，不愿回答请输入{refused}，",
        "typed_end": "以井号键结束。",
        "multiple": "请依次按下所有符合的选项，以井号键结束。",
        "record": "请在提示音后说出您的意见，说完后按任意键或挂机。",
        "no_input": "没有收到您的按键。",
        "invalid": "您的按键无效。",
        "thanks": "调查结束，感谢您的支持，再见！",
        "declined": "好的，不打扰您了，再见！",
        "opted_out": "好的，我们不会再给您打电话，再见！",
        "machine": "",
        "unknown": "对不起，本号码不在本次调查范围内，再见！",
        "closed": "本次调查已经结束，感谢您的来电，再见！",
    },
    "en": {
        "intro": "Hello! This is the county assessment office's resident satisfaction "
                 "telephone survey. It takes about three minutes.",
        "recorded": "This call is recorded to ensure the quality of the survey.",
        "consent": "To take part press 1, to decline press 2; if you do not want to be "
                   "called again press 9.",
        "resume": "Hello! Thank you for taking part last time; we continue where we "
                  "stopped. To continue press 1, to stop press 2.",
        "option": "For {label} press {key}.",
        "dk": "If you don't know press 8, ",
        "refused": "to refuse press 9.",
        "range": "Press a score from {low} to {high}; {high} means {high_label}, {low} "
                 "means {low_label}.",
        "typed": "Type the number",
        "typed_codes": "; if you don't know type {dk}, to refuse type {refused}",
        "typed_end": ", then the hash key.",
        "multiple": "Press every option that applies, one after another, then the hash key.",
        "record": "Please give your answer after the tone; press any key or hang up when "
                  "you are done.",
        "no_input": "We did not hear a key.",
        "invalid": "That key is not one of the answers.",
        "thanks": "That is the end of the survey. Thank you, goodbye!",
        "declined": "All right, we will not disturb you. Goodbye!",
        "opted_out": "All right, we will not call you again. Goodbye!",
        "machine": "",
        "unknown": "Sorry, this number is not part of the survey. Goodbye!",
        "closed": "The survey has ended. Thank you for calling, goodbye!",
    },
}


@dataclass(frozen=True)
class Voice:
    """How prompts are spoken: language of the texts, Twilio voice and language."""

    language: str = "zh-CN"
    voice: str = "Polly.Zhiyu"
    say_language: str = "cmn-CN"
    gather_timeout: int = 5
    max_tries: int = 3
    prompts: Mapping[str, str] = field(default_factory=dict)

    def phrase(self, name: str, **values: Any) -> str:
        table = PHRASES.get(self.language, PHRASES["zh-CN"])
        return table[name].format(**values)


@dataclass(frozen=True)
class Keypad:
    """How a question is answered on the keypad."""

    num_digits: int | None
    finish_on_key: str
    announce: str
    keys: Mapping[str, Any] | None = None
    record: bool = False


class NoAnswer(Exception):
    """Nothing was pressed."""


def keypad(question: Mapping, voice: Voice) -> Keypad:
    """The keypad mapping and the spoken instructions for a question."""
    kind = question["type"]
    lang = voice.language
    specials = ""
    special_keys: dict[str, Any] = {}
    if question.get("dk_code") is not None:
        specials += voice.phrase("dk")
        special_keys[DK_KEY] = question["dk_code"]
    if question.get("refused_code") is not None:
        specials += voice.phrase("refused")
        special_keys[REFUSED_KEY] = question["refused_code"]
    if kind in ("text", "voice"):
        return Keypad(None, "", voice.phrase("record"), record=True)
    if kind in ("single", "yesno"):
        if kind == "yesno":
            labels = [{"zh-CN": "是", "en": "yes"}, {"zh-CN": "否", "en": "no"}]
            codes = substantive_codes(question)
        else:
            labels = [o["label"] for o in question["options"]]
            codes = [o["code"] for o in question["options"]]
        keys = {str(i + 1): code for i, code in enumerate(codes[:7])}
        announce = "".join(voice.phrase("option", label=text_in(label, lang), key=i + 1)
                           for i, label in enumerate(labels[:7]))
        return Keypad(1, "", announce + specials, {**keys, **special_keys})
    if kind == "rating":
        scale = question["scale"]
        low, high = scale["min"], scale["max"]
        announce = voice.phrase("range", low=low, high=high,
                                high_label=text_in(scale.get("max_label", {}), lang),
                                low_label=text_in(scale.get("min_label", {}), lang))
        if low >= 0 and high <= 7:
            keys = {str(code): code for code in range(low, high + 1)}
            return Keypad(1, "", announce + specials, {**keys, **special_keys})
        return Keypad(None, "#", announce + voice.phrase("typed") + _typed_codes(question, voice)
                      + voice.phrase("typed_end"))
    if kind == "multiple":
        labels = [o["label"] for o in question["options"]]
        announce = "".join(voice.phrase("option", label=text_in(label, lang), key=i + 1)
                           for i, label in enumerate(labels[:7]))
        return Keypad(None, "#", announce + voice.phrase("multiple") + specials)
    return Keypad(None, "#", voice.phrase("typed") + _typed_codes(question, voice)
                  + voice.phrase("typed_end"))


def phone_problems(document: Mapping) -> dict[str, list[str]]:
    """Questions the keypad cannot answer: more than 7 options (keys 8 and 9 are "don't
    know" and "refused"). ``{"questions.<id>": [reason]}``, empty when all fit."""
    problems = {}
    for question in document["questions"]:
        if question["type"] in ("single", "multiple") and len(question["options"]) > 7:
            problems[f"questions.{question['id']}"] = [
                "a telephone question has at most 7 options (keys 1-7)"]
    return problems


def _typed_codes(question: Mapping, voice: Voice) -> str:
    dk, refused = question.get("dk_code"), question.get("refused_code")
    if dk is None or refused is None:
        return ""
    return voice.phrase("typed_codes", dk=dk, refused=refused)


def interpret(question: Mapping, pad: Keypad, digits: str) -> Any:
    """The answer value for the keys pressed; NoAnswer for none, AnswerError if invalid."""
    digits = (digits or "").strip().rstrip("#")
    if not digits:
        raise NoAnswer()
    if pad.keys is not None:
        if digits not in pad.keys:
            raise AnswerError(f"key {digits} is not an answer", f"按键{digits}无效")
        return check_answer(question, pad.keys[digits])
    if question["type"] == "multiple":
        if digits in (DK_KEY, REFUSED_KEY) and question.get(
                "dk_code" if digits == DK_KEY else "refused_code") is not None:
            return check_answer(question, question["dk_code" if digits == DK_KEY
                                                   else "refused_code"])
        options = [o["code"] for o in question["options"]]
        try:
            chosen = sorted({options[int(d) - 1] for d in digits})
        except (ValueError, IndexError):
            raise AnswerError(f"keys {digits} are not options", f"按键{digits}无效") from None
        return check_answer(question, chosen)
    if not digits.isdigit():
        raise AnswerError(f"{digits} is not a number", f"{digits}不是数字")
    return check_answer(question, int(digits))


class Ivr:
    """Builds the TwiML documents of one call; ``url(step, **params)`` makes webhook URLs."""

    def __init__(self, voice: Voice, url: Callable[..., str]):
        self.voice = voice
        self.url = url

    def _speak(self, target, key: str, text: str) -> None:
        prompt = self.voice.prompts.get(key)
        if prompt:
            target.play(prompt)
        elif text:
            target.say(text, voice=self.voice.voice, language=self.voice.say_language)

    def _gather(self, action: str, pad_digits: int | None, finish: str) -> Gather:
        options = {"action": action, "method": "POST", "timeout": self.voice.gather_timeout,
                   "action_on_empty_result": True, "input": "dtmf"}
        if pad_digits:
            options["num_digits"] = pad_digits
        options["finish_on_key"] = finish
        return Gather(**options)

    def consent(self, attempt: int, *, recorded: bool, resume: bool, tries: int = 1,
                problem: str | None = None, intro: str | None = None) -> str:
        response = VoiceResponse()
        if problem:
            self._speak(response, problem, self.voice.phrase(problem))
        gather = self._gather(self.url("consent", attempt=attempt, tries=tries), 1, "")
        if resume:
            self._speak(gather, "resume", self.voice.phrase("resume"))
        else:
            text = intro or self.voice.phrase("intro")
            if recorded:
                text += self.voice.phrase("recorded")
            self._speak(gather, "intro", text)
            self._speak(gather, "consent", self.voice.phrase("consent"))
        response.append(gather)
        return str(response)

    def question(self, attempt: int, question: Mapping, *, tries: int = 1,
                 problem: str | None = None) -> str:
        pad = keypad(question, self.voice)
        response = VoiceResponse()
        if problem:
            self._speak(response, problem, self.voice.phrase(problem))
        text = text_in(question["text"], self.voice.language)
        if pad.record:
            self._speak(response, question["id"], text + pad.announce)
            response.record(
                action=self.url("recorded", attempt=attempt, q=question["id"]), method="POST",
                max_length=int(question.get("max_seconds", 120)), timeout=5, play_beep=True,
                finish_on_key="1234567890*#",
                recording_status_callback=self.url("recording", attempt=attempt,
                                                   q=question["id"]),
                recording_status_callback_event="completed absent",
                recording_status_callback_method="POST")
            # Silence: Twilio skips the action and goes on with the next verb.
            response.redirect(self.url("recorded", attempt=attempt, q=question["id"]),
                              method="POST")
            return str(response)
        gather = self._gather(self.url("question", attempt=attempt, q=question["id"],
                                       tries=tries), pad.num_digits, pad.finish_on_key)
        self._speak(gather, question["id"], text + pad.announce)
        response.append(gather)
        return str(response)

    def goodbye(self, phrase: str) -> str:
        response = VoiceResponse()
        self._speak(response, phrase, self.voice.phrase(phrase))
        response.hangup()
        return str(response)
