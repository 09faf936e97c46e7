"""HTTP API of the survey service: flask-smorest blueprints under /api/v1."""

from services.survey.api import (
    dispositions,
    estimates,
    links,
    outcome_rates,
    paper,
    polls,
    questionnaires,
    responses,
    telephony,
    telephony_voice,
    xlsform,
)

BLUEPRINTS: list = [questionnaires.blp, polls.blp, links.blp, paper.blp, responses.blp,
                    dispositions.blp, estimates.blp, outcome_rates.blp, telephony.blp,
                    telephony_voice.blp, xlsform.blp]
