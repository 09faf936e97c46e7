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
    # A process of this test's own, started after the pid file naming its pid was
    # written: the file is stale (its pid now belongs to someone else).
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        stale = run / "survey.pid"
        stale.write_text(str(stranger.pid))
        os.utime(stale, (time.time() - 3600, time.time() - 3600))
        stop = kaoping(env, "stop", timeout=60)
        assert stop.returncode == 0 and "nothing" in stop.stdout, stop.stdout + stop.stderr
        assert stranger.poll() is None and not list(run.glob("*.pid"))
    finally:
        stranger.kill()
        stranger.wait(10)


def test_pid_files_naming_init_or_ourselves_are_refused(tmp_path, monkeypatch):
    """Read, never signalled: ``killpg(1)`` is ``kill(-1)``, every process."""
    from services.cli.pidfiles import read_pid

    monkeypatch.setenv("KAOPING_VAR_DIR", str(tmp_path))
    for content in ("1", "0", "-7", str(os.getpid()), str(os.getpgrp()), "not a pid", ""):
        pidfile = tmp_path / "x.pid"
        pidfile.write_text(content)
        assert read_pid(pidfile) is None and not pidfile.exists(), content
    pidfile.write_text("4242")
    assert read_pid(pidfile) == 4242
