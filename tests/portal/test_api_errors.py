"""API errors shown on forms: each reason beside the field it names, in the person's
language; what names no field goes above the form."""

from flask import session

from services.portal.api_errors import field_errors, translate

FIELDS = {"indicator", "actual", "target", "reason"}


def texts(app, language, value):
    """The lazy texts rendered in ``language``."""
    with app.test_request_context():
        session["lang"] = language
        return {k: [str(t) for t in v] for k, v in value.items()} if isinstance(value, dict) \
            else [str(t) for t in value]


def test_marshmallow_shapes_are_flattened_to_the_named_field(portal_app):
    nested = {"json": {"items": {"0": {"actual": ["Not a valid number."],
                                       "target": ["Field may not be null."]}}}}
    by_field, other = field_errors(nested, FIELDS)
    assert texts(portal_app, "zh_CN", by_field) == {"actual": ["请输入数字。"],
                                                    "target": ["此项必填。"]}
    assert other == []


def test_domain_shapes_per_item_and_per_row_too(portal_app):
    by_field, other = field_errors({"items[0]": {"actual": ["sc_rate cannot be negative"]},
                                    "row 3": {"reason": ["T01/sc_rate was reported already "
                                                         "(version 1); a correction needs a "
                                                         "reason"]},
                                    "period": ["2026-06 is closed; only a correction with a "
                                               "reason is accepted"]}, FIELDS)
    assert texts(portal_app, "en", by_field) == {
        "actual": ["Must not be negative."],
        "reason": ["This value was reported already: a correction needs a reason."]}
    assert texts(portal_app, "zh_CN", other) == ["该期已关闭：只接受附理由的更正。"]


def test_an_unknown_reason_is_shown_as_the_service_wrote_it():
    assert translate("something new") == "something new"
    by_field, other = field_errors({"unit": ["unknown unit 'X'"]}, FIELDS)
    assert by_field == {} and other == ["unknown unit 'X'"]



def test_form_problems_for_a_conflict_a_too_large_body_and_field_errors(portal_app):
    from services.portal.api_errors import form_problems
    from services.portal.forms.self_checks import month_form
    from shared.client import ServiceError

    def make_form():
        return month_form([{"id": "sc_rate"}], {}, {}, meta={"csrf": False})

    with portal_app.test_request_context(method="POST", data={"actual-sc_rate": ""}):
        session["lang"] = "zh_CN"
        form = make_form()
        too_large = ServiceError("scoring", 413, {"message": "Request body too large"})
        assert [str(t) for t in form_problems(form, too_large)] == ["提交的内容太大。"]
        named = ServiceError("scoring", 422, {
            "message": "Self-check: 1 problem(s)",
            "errors": {"json": {"actual-sc_rate": ["is required"]}}})
        assert [str(t) for t in form_problems(form, named)] == ["未保存：请查看标出的栏目。"]
        assert [str(t) for t in form.row("sc_rate", "actual").errors] == ["此项必填。"]
        published = ServiceError("scoring", 409, {"message": "Run 3 is published and frozen; "
                                                             "start a new run instead"})
        assert [str(t) for t in form_problems(make_form(),
                                              published)] == ["该次计算已经发布。"]


def test_attempt_answers_or_gives_the_refusals_problems_never_none(portal_app):
    import pytest

    from services.portal.api_errors import attempt
    from shared.client import ServiceError

    refused = ServiceError("survey", 409, {"message": "Campaign 3 is finished"})

    def refuse():
        raise refused

    with portal_app.test_request_context():
        session["lang"] = "en"
        assert attempt(lambda: {"id": 1}) == ({"id": 1}, [])
        answer, problems = attempt(refuse)
        assert answer is None and [str(t) for t in problems] == ["Campaign 3 is finished"]
        # A ``show`` that finds nothing to say still leaves the refusal's message: callers
        # take an empty list for success.
        answer, problems = attempt(refuse, show=lambda failed: [])
        assert answer is None and [str(t) for t in problems] == ["Campaign 3 is finished"]
        with pytest.raises(ServiceError):  # a status not shown on forms is the error page's
            attempt(lambda: (_ for _ in ()).throw(ServiceError("survey", 404, {})))
