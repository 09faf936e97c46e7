"""Marshmallow schemas of the inspection API (in and out)."""
