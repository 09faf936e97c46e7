"""Telephone polls over Twilio: sampling frames, campaigns, the dialer, the IVR.

The modules here without a database (frame, vault, windows, pacing, dispositions, ivr,
signatures) are pure; ``campaigns``, ``dialer`` and ``webhooks`` use the session.
"""
