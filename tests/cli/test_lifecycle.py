"""`kaoping run` starts every process on 127.0.0.1 and waits ready; `stop` leaves none;
one process is restarted, stopped or started alone."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_ports(count):
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def _listening_inodes():
    """inode -> local address of every listening TCP socket (IPv4 and IPv6)."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                found[fields[9]] = fields[1]
    return found


def _socket_inodes_of(pids):
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except (FileNotFoundError, PermissionError):
            continue
    return inodes


def _group_members(pgids):
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) in pgids and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def suite_env(tmp_path) -> dict[str, str]:
    """The environment of a suite of its own: free ports, its own var folder, the
    simulated carrier."""
    survey, scoring, inspection, carrier, portal = _free_ports(5)
    env = {**os.environ, "KAOPING_VAR_DIR": str(tmp_path / "var"), "KAOPING_ENV": "development",
           "SURVEY_PORT": str(survey), "SCORING_PORT": str(scoring),
           "INSPECTION_PORT": str(inspection), "CARRIER_PORT": str(carrier),
           "PORTAL_PORT": str(portal), "KAOPING_WORKERS": "1", "KAOPING_THREADS": "2"}
    for name in ("SURVEY", "SCORING", "INSPECTION", "PORTAL"):
        env.pop(f"{name}_DATABASE_URL", None)
        env.pop(f"{name}_URL", None)
    env.pop("TWILIO_API_BASE_URL", None)
    return env


CLI = [sys.executable, "-m", "services.cli"]


def kaoping(env, *args, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def pids(tmp_path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in (tmp_path / "var" / "run").glob("*.pid")}


def test_run_restart_one_and_stop(tmp_path):
    """One suite for the whole life cycle (each ``kaoping run`` starts every process,
    which is most of this test's time): run, every service ready on 127.0.0.1 only, run
    again (nothing to start), restart / stop / start the dialer alone, status, stop."""
    env = suite_env(tmp_path)
    survey, scoring, inspection, portal = (int(env[f"{n}_PORT"]) for n in (
        "SURVEY", "SCORING", "INSPECTION", "PORTAL"))
    ready = f"http://127.0.0.1:{survey}/readyz"
    run = kaoping(env, "run", "--timeout", "90")
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        for port in (survey, scoring, inspection, portal):
            assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        sign_in = requests.get(f"http://127.0.0.1:{portal}/sign-in", timeout=5)
        assert sign_in.status_code == 200 and "登录" in sign_in.text
        assert f"http://127.0.0.1:{portal}/" in run.stdout
        before = pids(tmp_path)
        assert set(before) == {"survey", "scoring", "inspection", "portal", "carrier",
                               "dialer", "reminders"}
        members = _group_members(set(before.values()))
        listening = _listening_inodes()
        addresses = [listening[i] for i in _socket_inodes_of(members) if i in listening]
        assert addresses, "no listening sockets found"
        for address in addresses:
            host = address.split(":")[0]
            # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex
            assert host == "0100007F", f"listening on {address}, not 127.0.0.1"

        again = kaoping(env, "run", "--timeout", "90")  # no refusal: nothing to start
        assert again.returncode == 0, again.stderr
        assert "left as is" in again.stdout and pids(tmp_path) == before
        restart = kaoping(env, "restart", "dialer")
        assert restart.returncode == 0, restart.stderr
        after = pids(tmp_path)
        assert after["dialer"] != before["dialer"] and _group_members({before["dialer"]}) == []
        assert {k: v for k, v in after.items() if k != "dialer"} == {
            k: v for k, v in before.items() if k != "dialer"}
        assert requests.get(ready, timeout=5).status_code == 200
        stop = kaoping(env, "stop", "dialer")
        assert stop.returncode == 0 and "dialer" in stop.stdout
        assert "dialer" not in pids(tmp_path) and _group_members({after["dialer"]}) == []
        status = kaoping(env, "status").stdout
        assert "dialer       stopped" in status and "survey       running" in status
        start = kaoping(env, "start", "dialer")
        assert start.returncode == 0 and "started dialer" in start.stdout
        started = pids(tmp_path)
        assert _group_members({started["dialer"]})
        unknown = kaoping(env, "start", "nosuch")
        assert unknown.returncode != 0 and "survey, scoring, inspection" in unknown.stderr
    finally:
        stop = kaoping(env, "stop", timeout=60)
    assert stop.returncode == 0, stop.stderr
    assert "survey" in stop.stdout and "portal" in stop.stdout
    assert _group_members(set(before.values()) | set(started.values())) == []
    assert not pids(tmp_path)
