"""Telephone polls over Twilio: sampling frames, campaigns, the dialer, the IVR.

Use cases (take a session): ``campaigns`` (settings, frame import, state, progress,
process data), ``do_not_call``, ``prompts`` (uploaded audio), ``recordings`` and
``retention`` (what is purged when), ``webhooks`` (the IVR's call flow) with its fast
path ``keypad_answers``, ``cases`` (a case between calls). The dialer worker:
``dialer`` with ``claims``, ``slots`` (the shared CPS), ``presence`` and
``dialer_metrics``. Pure: ``frame``, ``vault``, ``windows``, ``call_outcomes``, ``ivr``;
``signatures`` and ``twilio_api`` are the Twilio side (webhook signatures, REST client).
"""
