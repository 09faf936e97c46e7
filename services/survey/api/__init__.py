"""HTTP API of the survey service: flask-smorest blueprints under /api/v1."""

from services.survey.api import interviews, polls, questionnaires

BLUEPRINTS: list = [questionnaires.blp, polls.blp, interviews.blp, interviews.interviews_blp]
