"""Marshmallow schemas of the survey API (in and out)."""
