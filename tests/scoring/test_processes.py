"""The reminder worker in ``kaoping run``: through the carrier unless Twilio is configured."""

from services.scoring.config import ReminderProcessSettings
from services.scoring.processes import processes


def test_the_worker_goes_through_the_carrier_by_default():
    [spec] = processes(ReminderProcessSettings(None, "http://127.0.0.1:5009"))
    assert spec.name == "reminders" and spec.argv[-2:] == ["reminders", "worker"]
    assert spec.env == {"TWILIO_API_BASE_URL": "http://127.0.0.1:5009"}
    [real] = processes(ReminderProcessSettings("https://api.twilio.com", "http://x"))
    assert real.env == {}
