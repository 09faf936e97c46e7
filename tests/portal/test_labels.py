"""Words for the services' values in the person's language; unknown values as they are."""

from flask_babel import force_locale

from services.portal.labels import label, plan_kind


def test_known_values_are_translated(portal_app):
    with portal_app.test_request_context("/"):
        with force_locale("en"):
            assert (str(label("planner")), str(label("checked_in")),
                    str(plan_kind("open"))) == ("Planner", "checked in", "announced")
        with force_locale("zh_CN"):
            assert (str(label("planner")), str(plan_kind("open"))) == ("考评办人员", "明查")


def test_an_unknown_value_is_shown_as_it_is(portal_app):
    with portal_app.test_request_context("/"), force_locale("en"):
        assert label("draft") == "draft" and plan_kind("surprise") == "surprise"
        assert label(None) == "" and plan_kind(None) == ""
