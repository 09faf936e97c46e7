"""Pid files: a dialer started by hand registers itself, so that `kaoping stop` stops
it (and only it, not the group it was started in); a stale pid file never gets a
stranger signalled."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.cli.test_lifecycle import ROOT, kaoping, pids, suite_env


def _wait_for(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def test_kaoping_stop_stops_dialers_started_by_hand(tmp_path):
    env = suite_env(tmp_path)
    assert kaoping(env, "migrate").returncode == 0
    # Started as from a script: in the test's own process group, not a group of its own.
    by_hand = [subprocess.Popen([sys.executable, "-m", "services.cli", "dialer",
                                 "--worker-id", f"hand-{i}"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for i in range(2)]
    try:
        _wait_for(lambda: len(pids(tmp_path)) == 2)
        registered = pids(tmp_path)
        assert set(registered.values()) == {p.pid for p in by_hand}
        assert "dialer" in registered  # the first; the second as dialer-<pid>
        assert {f"dialer-{p.pid}" for p in by_hand} & set(registered)
        status = kaoping(env, "status").stdout
        assert all(str(p.pid) in status for p in by_hand)
        stop = kaoping(env, "stop", timeout=60)
        assert stop.returncode == 0, stop.stderr
        assert [p.wait(15) for p in by_hand] == [0, 0]  # SIGTERM: a clean stop
    finally:
        for process in by_hand:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    assert pids(tmp_path) == {}
    assert os.getpgid(0) == os.getpgrp()  # and this process's group is still here


def test_a_stale_pid_file_gets_no_stranger_signalled(tmp_path):
    env = suite_env(tmp_path)
    run = tmp_path / "var" / "run"
    run.mkdir(parents=True)
    pidfile = run / "dialer.pid"
    pidfile.write_text("1")  # a dialer that ended long ago; its pid is someone else's now
    os.utime(pidfile, (time.time() - 3600, time.time() - 3600))
    stranger = subprocess.Popen(["sleep", "30"])
    try:
        stale = run / "survey.pid"
        stale.write_text(str(stranger.pid))
        os.utime(stale, (time.time() - 3600, time.time() - 3600))  # written before it ran
        stop = kaoping(env, "stop", timeout=60)
        assert stop.returncode == 0 and "nothing" in stop.stdout
        assert stranger.poll() is None and not list(run.glob("*.pid"))
    finally:
        stranger.kill()
        stranger.wait(10)
