"""`kaoping run` starts every process on 127.0.0.1 and waits ready; `stop` leaves none."""

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


def test_run_then_stop(tmp_path):
    survey, scoring, inspection, portal = _free_ports(4)
    env = {**os.environ, "KAOPING_VAR_DIR": str(tmp_path / "var"), "KAOPING_ENV": "development",
           "SURVEY_PORT": str(survey), "SCORING_PORT": str(scoring),
           "INSPECTION_PORT": str(inspection), "PORTAL_PORT": str(portal),
           "KAOPING_WORKERS": "1", "KAOPING_THREADS": "2"}
    for name in ("SURVEY", "SCORING", "INSPECTION", "PORTAL"):
        env.pop(f"{name}_DATABASE_URL", None)
        env.pop(f"{name}_URL", None)
    cli = [sys.executable, "-m", "services.cli"]
    run = subprocess.run(cli + ["run", "--timeout", "90"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    try:
        assert run.returncode == 0, run.stdout + run.stderr
        for port in (survey, scoring, inspection, portal):
            assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
        sign_in = requests.get(f"http://127.0.0.1:{portal}/sign-in", timeout=5)
        assert sign_in.status_code == 200 and "登录" in sign_in.text
        assert f"http://127.0.0.1:{portal}/" in run.stdout
        pgids = {int(p.read_text()) for p in (tmp_path / "var" / "run").glob("*.pid")}
        assert len(pgids) >= 4
        members = _group_members(pgids)
        listening = _listening_inodes()
        addresses = [listening[i] for i in _socket_inodes_of(members) if i in listening]
        assert addresses, "no listening sockets found"
        for address in addresses:
            host = address.split(":")[0]
            # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex
            assert host == "0100007F", f"listening on {address}, not 127.0.0.1"
    finally:
        stop = subprocess.run(cli + ["stop"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
    assert stop.returncode == 0, stop.stderr
    assert "survey" in stop.stdout and "portal" in stop.stdout
    assert _group_members(pgids) == []
    assert not list((tmp_path / "var" / "run").glob("*.pid"))
