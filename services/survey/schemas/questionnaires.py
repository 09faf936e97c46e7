"""Questionnaire schemas; the document itself is checked by services.survey.questionnaires."""

from marshmallow import Schema, fields, validate


class QuestionnaireIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,60}$"))
    title_zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    document = fields.Dict(required=True)


class QuestionnaireUpdate(Schema):
    title_zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    document = fields.Dict(required=True)


class QuestionnaireOut(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    title_zh = fields.String()
    title_en = fields.String()
    document = fields.Dict()
    frozen = fields.Boolean()
    frozen_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class QuestionnaireQuery(Schema):
    code = fields.String(load_default=None)


class RouteIn(Schema):
    answers = fields.Dict(keys=fields.String(), load_default=dict)
    mode = fields.String(load_default="web", validate=validate.OneOf(("phone", "web", "paper")))


class RouteOut(Schema):
    next_question = fields.String(allow_none=True)
    route = fields.List(fields.String())
