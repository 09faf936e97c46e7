"""The telephone poll step: the frame it imports, the campaign it starts and follows, the
table it prints (here with no dialer running: the campaign is still running when the
step stops following it)."""

import csv
import io
import json

from services.demo import phone_poll
from tests.support import serving


def test_the_frame_has_distinct_numbers_for_each_township():
    rows = list(csv.DictReader(io.StringIO(phone_poll._frame(["T01", "T02"]).decode())))
    assert len(rows) == 2 * phone_poll.PER_TOWNSHIP
    assert {r["township"] for r in rows} == {"T01", "T02"}
    assert len({r["phone"] for r in rows}) == len(rows)


def test_the_campaign_is_started_and_its_table_printed(make_app, scoring_url, demo_context,
                                                      tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(phone_poll, "FOLLOW_SECONDS", 0.0)
    with serving(make_app("survey", SCORING_URL=scoring_url)) as survey_url:
        ctx = demo_context(survey=survey_url, scoring=scoring_url)
        phone_poll.run(ctx)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  frame: 50 numbers imported for 2 townships")
    assert f"  campaign {ctx.state['phone_campaign_id']}: running" in lines
    table = {line.split()[0]: line.split()[1:] for line in lines
             if line.startswith("  T0")}
    assert table == {"T01": ["0", "0", "0", "0", "0", "25", "0", "-", "0/10"],
                     "T02": ["0", "0", "0", "0", "0", "25", "0", "-", "0/10"]}
    assert "  overall RR1 0.000  RR3 -  COOP1 -  (e = -, estimated from resolved cases)" in lines
    saved = json.loads((tmp_path / "phone_progress.json").read_text(encoding="utf-8"))
    assert saved["state"] == "running" and isinstance(ctx.state["phone_poll_id"], int)
