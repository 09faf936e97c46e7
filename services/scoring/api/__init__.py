"""HTTP API of the scoring service: flask-smorest blueprints under /api/v1."""

BLUEPRINTS: list = []
