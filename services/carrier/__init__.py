"""Simulated carrier: a small Twilio-compatible voice API that plays calls to synthetic
respondents. The embedded default and the tests use it instead of api.twilio.com."""
