"""HTTP API of the survey service: flask-smorest blueprints under /api/v1."""

from services.survey.api import estimates, interviews, polls, questionnaires

BLUEPRINTS: list = [questionnaires.blp, polls.blp, interviews.blp, interviews.interviews_blp,
                    estimates.blp]

from services.survey.api import telephony, telephony_voice  # noqa: E402  (issue 5)

BLUEPRINTS += [telephony.blp, telephony_voice.blp]
