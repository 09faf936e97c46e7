"""HTTP API of the survey service: flask-smorest blueprints under /api/v1."""

BLUEPRINTS: list = []
