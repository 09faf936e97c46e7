"""The words shown for the services' values: from the catalogue, in the person's language;
a value without a word is shown as it is."""

import pytest
from flask_babel import force_locale

from services.portal.labels import label, plan_kind


@pytest.mark.parametrize("locale, words", [
    ("en", ("checked in", "announced", "Unit reporter")),
    ("zh_CN", ("已签到", "明查", "单位填报员")),
])
def test_values_are_shown_in_the_catalogues_words(portal_app, locale, words):
    with portal_app.test_request_context(), force_locale(locale):
        assert (str(label("checked_in")), str(plan_kind("open")), str(label("unit"))) == words


def test_a_value_without_a_word_is_shown_as_it_is(portal_app):
    with portal_app.test_request_context():
        assert label("mystery") == "mystery" and plan_kind("other") == "other"
        assert label(None) == "" and plan_kind(None) == ""
