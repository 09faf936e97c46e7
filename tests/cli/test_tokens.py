"""``kaoping token issue``: a token of the role, signed with the suite's key."""

import pytest

from services.cli import main
from shared.auth import decode_token
from shared.config import jwt_secret


def test_a_unit_token_is_printed(capsys):
    assert main(["token", "issue", "--role", "unit", "--unit", "T03", "--ttl", "60"]) == 0
    principal = decode_token(capsys.readouterr().out.strip(), jwt_secret())
    assert (principal.sub, principal.role, principal.unit) == ("cli-unit", "unit", "T03")


@pytest.mark.parametrize("argv, message", [
    (["--role", "unit"], "--unit is required with --role unit"),
    (["--role", "planner", "--ttl", "0"], "--ttl must be positive")])
def test_a_bad_request_is_refused(argv, message):
    with pytest.raises(SystemExit, match=message):
        main(["token", "issue", *argv])
