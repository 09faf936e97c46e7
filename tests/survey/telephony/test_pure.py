"""Pure telephony modules: frame parsing, the number vault, windows, pacing, dispositions,
keypad mapping."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from openpyxl import Workbook

from services.survey.questionnaires import AnswerError, validate_document
from services.survey.telephony import dispositions as d
from services.survey.telephony.frame import normalise_number, parse_frame, read_rows
from services.survey.telephony.ivr import NoAnswer, Voice, interpret, keypad, phone_problems
from services.survey.telephony.pacing import Pacer
from services.survey.telephony.vault import PhoneVault
from services.survey.telephony.windows import CallingWindows
from tests.survey.telephony.phone_support import PHONE_DOCUMENT


@pytest.mark.parametrize("raw,e164", [("139 0001 0001", "+8613900010001"),
                                      ("+86 574 8888 0000", "+8657488880000"),
                                      ("0574-88880000", "+8657488880000")])
def test_numbers_are_normalised_to_e164(raw, e164):
    assert normalise_number(raw) == e164


def test_frame_rows_are_checked_and_reported_by_row_and_column():
    content = "电话,乡镇,分层\n13900010001,T01,A\n12345,T01,\n13900010001,T02,\n139000100x2,T09,\n"
    rows = read_rows("f.csv", content.encode("gb18030"))
    entries, errors = parse_frame(rows, townships={"T01", "T02"})
    assert [e.e164 for e in entries] == ["+8613900010001"]
    assert set(errors) == {"row 3", "row 4", "row 5"}
    assert "duplicate of row 2" in errors["row 4"]["phone"][0]
    assert set(errors["row 5"]) == {"township", "phone"}


def test_frame_reads_xlsx():
    book = Workbook()
    book.active.append(["phone", "township"])
    book.active.append([13900010001, "T01"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert read_rows("f.xlsx", buffer.getvalue()) == [{"phone": "13900010001",
                                                       "township": "T01"}]


def test_vault_encrypts_hashes_and_rotates_keys():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = PhoneVault([old], "hash-key")
    token = before.encrypt("+8613900010001")
    assert "13900010001" not in token
    after = PhoneVault([new, old], "hash-key")
    assert after.decrypt(token) == "+8613900010001"
    rotated = after.rotate(token)
    assert PhoneVault([new], "hash-key").decrypt(rotated) == "+8613900010001"
    assert before.digest("+8613900010001") == after.digest("+8613900010001")
    assert PhoneVault([old], "other").digest("+8613900010001") != before.digest(
        "+8613900010001")


def test_windows_in_shanghai_and_next_opening():
    windows = CallingWindows.from_config(["09:00-12:00", "14:00-20:30"], [0, 1, 2, 3, 4])
    friday_night = datetime(2026, 7, 3, 13, 0, tzinfo=UTC)  # 21:00 Friday in Shanghai
    assert not windows.is_open(friday_night)
    assert windows.next_open(friday_night) == datetime(2026, 7, 6, 1, 0, tzinfo=UTC)
    assert windows.closes_at(datetime(2026, 7, 6, 2, 0, tzinfo=UTC)) == datetime(
        2026, 7, 6, 4, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        CallingWindows.from_config(["09:00-12:00", "11:00-13:00"], [0])


def test_pacer_spaces_calls_at_the_cps_limit():
    now = [0.0]
    pacer = Pacer(4.0, clock=lambda: now[0])
    assert [pacer.reserve() for _ in range(4)] == [0.0, 0.25, 0.5, 0.75]


@pytest.mark.parametrize("outcomes,share,code", [
    (["no-answer", "busy", "complete"], 1.0, d.COMPLETE),
    (["break-off"], 0.6, d.PARTIAL), (["break-off"], 0.2, d.BREAK_OFF),
    (["machine", "no-answer"], 0.0, d.MACHINE), (["no-answer", "busy"], 0.0, d.NO_ANSWER),
    (["busy", "busy"], 0.0, d.ALWAYS_BUSY), (["failed"], 0.0, d.NOT_WORKING),
    (["opt-out"], 0.0, d.REFUSAL), ([], 0.0, d.NOT_ATTEMPTED),
    (["no-answer", "no-consent", "machine"], 0.0, d.REFUSAL),
    # a call-back of a broken-off interview answered in silence: the break-off stands
    (["no-consent", "break-off"], 0.2, d.BREAK_OFF), (["break-off", "no-consent"], 0.2,
                                                       d.BREAK_OFF),
    (["break-off", "no-consent"], 0.6, d.PARTIAL)])
def test_case_dispositions(outcomes, share, code):
    assert d.case_disposition(outcomes, answered_share=share, partial_threshold=0.5) == code


def test_call_outcomes_from_call_status_and_answered_by():
    assert d.call_outcome("completed", "machine_start", consent=None, opted_out=False,
                          finished=False) == "machine"
    assert d.call_outcome("completed", "human", consent=False, opted_out=False,
                          finished=False) == "refusal"
    for answered_by, outcome in (("human", "no-consent"), ("unknown", "machine"),
                                 (None, "machine"), ("fax", "machine")):
        assert d.call_outcome("completed", answered_by, consent=None, opted_out=False,
                              finished=False) == outcome
    assert d.call_outcome("no-answer", None, consent=None, opted_out=False,
                          finished=False) == "no-answer"
    assert [d.group(c) for c in (d.COMPLETE, d.MACHINE, d.NO_ANSWER, d.NOT_WORKING)] == [
        "I", "NC", "UH", "NE"]


def test_keypad_mapping_of_each_question_type():
    questions = {q["id"]: q for q in validate_document(PHONE_DOCUMENT)["questions"]}
    voice = Voice()
    sat = keypad(questions["sat"], voice)
    assert interpret(questions["sat"], sat, "3") == 3 and interpret(questions["sat"], sat,
                                                                      "9") == 99
    with pytest.raises(AnswerError):
        interpret(questions["sat"], sat, "5")
    with pytest.raises(NoAnswer):
        interpret(questions["sat"], sat, "")
    years = keypad(questions["years"], voice)
    assert years.finish_on_key == "#" and interpret(questions["years"], years, "35#") == 35
    with pytest.raises(AnswerError):
        interpret(questions["years"], years, "300")
    assert keypad(questions["advice"], voice).record
    assert "按1到5" in keypad(questions["score"], voice).announce
    assert phone_problems({"questions": list(questions.values())}) == {}
    wide = {**questions["sat"], "options": [{"code": i, "label": {"zh-CN": "x", "en": "x"}}
                                            for i in range(1, 9)]}
    assert list(phone_problems({"questions": [wide]})) == ["questions.sat"]
