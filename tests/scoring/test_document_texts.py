"""The documents' words: both languages say the same things."""

import re

from services.scoring.document_texts import TEXTS, kind_name


def test_both_languages_have_the_same_texts_and_placeholders():
    assert set(TEXTS["zh"]) == set(TEXTS["en"])
    for key, text in TEXTS["zh"].items():
        english = TEXTS["en"][key]
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english)), key


def test_kind_names():
    assert kind_name("zh", "quarterly") == "季度" and kind_name("en", "year-end") == "year-end"


def test_no_text_is_named_like_a_dict_method():
    """Templates read ``c.t.<key>``: a key such as ``values`` would print the method."""
    assert not set(TEXTS["zh"]) & set(dir(dict))
