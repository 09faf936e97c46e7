"""The engine's one exception: a ValueError (the sensitivity mode skips a variant that
raises one) carrying its message and the reasons per field that a caller turns into a
422."""

from __future__ import annotations

from services.scoring.engine import EngineError


def test_an_engine_error_is_a_value_error_with_its_message_and_reasons_per_field():
    error = EngineError("invalid values table", {"row 3": ["unknown indicator 'x'"]})
    assert isinstance(error, ValueError) and str(error) == "invalid values table"
    assert error.message == "invalid values table"
    assert error.errors == {"row 3": ["unknown indicator 'x'"]}


def test_without_reasons_each_error_has_an_empty_map_of_its_own():
    first, second = EngineError("no units to score"), EngineError("bad options", None)
    assert first.errors == {} and second.errors == {}
    first.errors["units"] = ["empty"]
    assert second.errors == {} and EngineError("again").errors == {}
