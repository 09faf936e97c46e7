"""scoring: registry, scheme, self-checks, composite scores and assessments."""
