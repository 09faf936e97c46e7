"""shared.numbers: the one number parser and missing-value rule of imports and the CLI."""

import math

import pytest

from shared.numbers import MISSING_VALUES, is_missing, parse_number


@pytest.mark.parametrize("text, number", [
    ("12", 12.0), ("-3.5", -3.5), ("+4", 4.0), (".5", 0.5), ("7.", 7.0), ("1e3", 1000.0),
    ("  42 ", 42.0), ("1,234.5", 1234.5), ("1,234,567", 1234567.0), ("-12,000", -12000.0),
    ("12%", 12.0), ("12.5 %", 12.5), ("1,234%", 1234.0),
    ("１２", 12.0), ("１２％", 12.0), ("１，２３４.５", 1234.5),
    (3, 3.0), (2.5, 2.5),
])
def test_numbers_in_the_documented_forms(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["", "   ", "NA", "na", " N/A ", "#N/A", "NaN", "nan",
                                  "null", "NULL", "None", None, math.nan])
def test_missing_values_are_none(text):
    assert is_missing(text)
    assert parse_number(text) is None


def test_every_documented_missing_token_is_missing():
    assert all(parse_number(token) is None for token in MISSING_VALUES)


@pytest.mark.parametrize("text", ["abc", "inf", "-Infinity", "1_000", "1 234", "1,5",
                                  "1,23,4", "12,34.5", "--1", "+-1", "%", "12%%", "1e400",
                                  "0x10", math.inf, True])
def test_anything_else_is_refused(text):
    assert not is_missing(text)
    with pytest.raises(ValueError):
        parse_number(text)
