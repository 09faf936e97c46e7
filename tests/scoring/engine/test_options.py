"""Method options: the scheme's ``engine`` object supplies defaults, options given to
``compute`` override them."""

from __future__ import annotations

import pytest

from services.scoring.engine import EngineError, Options


def test_quota_given_to_compute_replaces_the_schemes():
    opts = Options.build({"advanced": {"seats": 5}}, advanced_share=0.3)
    assert (opts.advanced_seats, opts.advanced_share) == (None, 0.3)
    assert Options.build({"advanced": {"share": 0.1}}).advanced_share == 0.1
    with pytest.raises(EngineError):
        Options.build({"colour": "red"})
