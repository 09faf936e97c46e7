"""HTTP API of the inspection service: flask-smorest blueprints under /api/v1."""

BLUEPRINTS: list = []
