"""JSON log lines at the configured level, carrying the request id that the response
echoes."""

import json
import logging

import pytest

from shared.logs import configure_logging


@pytest.fixture
def kaoping_logger():
    """Restore the ``kaoping`` logger the tests' apps configured."""
    root = logging.getLogger("kaoping")
    handlers, level, propagate = root.handlers[:], root.level, root.propagate
    yield root
    root.handlers[:], root.propagate = handlers, propagate
    root.setLevel(level)


def test_lines_are_json_at_the_level_given(kaoping_logger, capsys):
    configure_logging("scoring", "warning")
    assert kaoping_logger.level == logging.WARNING
    logging.getLogger("kaoping.test").info("not shown")
    logging.getLogger("kaoping.test").warning("shown %s", 1, extra={"event": "x"})
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["level"], entry["service"], entry["logger"], entry["message"],
            entry["event"]) == ("warning", "scoring", "kaoping.test", "shown 1", "x")


def test_an_unknown_level_is_refused(kaoping_logger):
    with pytest.raises(ValueError):
        configure_logging("scoring", "chatty")


def test_a_sane_request_id_is_echoed_and_another_replaced(scoring_client):
    sane = scoring_client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert sane.headers["X-Request-ID"] == "abc-123"
    odd = scoring_client.get("/healthz", headers={"X-Request-ID": "bad id; drop"})
    assert odd.headers["X-Request-ID"] != "bad id; drop" and len(odd.headers["X-Request-ID"]) == 32
    assert scoring_client.get("/healthz").headers["X-Request-ID"] != \
        scoring_client.get("/healthz").headers["X-Request-ID"]
