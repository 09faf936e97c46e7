"""Twilio webhook authentication of the IVR: ``shared.twilio_signatures`` (the scoring
service's SMS status callbacks use the same check)."""

from shared.twilio_signatures import check_signature, public_url, twilio_signed

__all__ = ["check_signature", "public_url", "twilio_signed"]
