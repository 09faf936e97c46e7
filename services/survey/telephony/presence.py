"""Which dialer workers are alive: a running worker holds a lock named by its worker id,
and the lock goes the moment its process ends (killed or not), so the calls it claimed
and never placed can be claimed again at once instead of after the lease.

- PostgreSQL (any number of hosts): a session advisory lock keyed by a 64-bit hash of
  the worker id, held on a connection of the worker's own; PostgreSQL drops it when that
  connection closes. A worker is alive while ``pg_locks`` shows its lock granted.
- SQLite (one host, the database being a local file): an exclusive ``flock`` on
  ``<database file>.dialers/<worker id>.lock``, which the kernel drops with the process.
  A worker is alive while its file exists and the lock cannot be taken.
- An in-memory SQLite database: nothing is known; every worker counts as alive, and
  claims wait for their lease as before.

A worker that never held its lock (a dialer object driven by hand) counts as gone. That
is safe: a call is placed only after a conditional ``UPDATE … WHERE state = 'placing'``
stamps it, so a claim given back is never placed by its first claimer.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from shared.errors import Conflict


def _in_use(worker: str) -> Conflict:
    return Conflict(f"Dialer worker id {worker!r} is held by a running dialer; "
                    "give this one another --worker-id", {"worker": [worker]})


class Presence:
    """Nothing known: every worker counts as alive (in-memory SQLite)."""

    def __init__(self, worker: str):
        self.worker = worker

    def hold(self) -> None:
        """Take this worker's lock; Conflict when a live process holds the same id."""

    def keep(self) -> None:
        """Take the lock again if it was lost (a dropped database connection)."""

    def release(self) -> None:
        """Give the lock up (the worker stops)."""

    def alive(self, workers: Iterable[str]) -> set[str]:
        """The workers among ``workers`` that are (or may be) alive."""
        return set(workers)


def advisory_key(worker: str) -> int:
    """The signed 64-bit advisory lock key of a worker id."""
    digest = hashlib.blake2b(f"kaoping-dialer:{worker}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLockPresence(Presence):
    """PostgreSQL: a session advisory lock per worker id (see the module docstring)."""

    def __init__(self, engine: Engine, worker: str):
        super().__init__(worker)
        self.engine = engine
        self.connection: Connection | None = None

    def hold(self) -> None:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                  {"key": advisory_key(self.worker)})
        if not taken:
            connection.close()
            raise _in_use(self.worker)
        self.connection = connection

    def keep(self) -> None:
        if self.connection is not None:
            try:
                self.connection.scalar(text("SELECT 1"))
                return
            except Exception:
                self.connection.invalidate()
                self.connection.close()
                self.connection = None
        self.hold()

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.scalar(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": advisory_key(self.worker)})
        finally:
            self.connection.close()
            self.connection = None

    def alive(self, workers: Iterable[str]) -> set[str]:
        workers = set(workers)
        if not workers:
            return set()
        with self.engine.connect() as connection:
            held = {tuple(row) for row in connection.execute(text(
                "SELECT classid::bigint, objid::bigint FROM pg_locks "
                "WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
                "AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"))}
        mask = 0xFFFFFFFF
        return {w for w in workers
                if ((advisory_key(w) >> 32) & mask, advisory_key(w) & mask) in held}


class LockFilePresence(Presence):
    """SQLite: an exclusive flock on a file per worker id (see the module docstring).

    Holder and checkers compare the inode they locked with the one at the path, so a
    file removed by a worker that stopped is never mistaken for the live one."""

    def __init__(self, folder: Path, worker: str):
        super().__init__(worker)
        self.folder = folder
        self.file: IO[str] | None = None

    def path(self, worker: str) -> Path:
        return self.folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", worker) + ".lock")

    def hold(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(self.worker)
        while True:
            handle = open(path, "a+")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise _in_use(self.worker) from None
            if _same_file(handle, path):
                break
            handle.close()  # removed meanwhile by a worker that stopped: lock the new one
        handle.truncate(0)
        handle.write(f"{socket.gethostname()} {os.getpid()}\n")
        handle.flush()
        self.file = handle

    def release(self) -> None:
        if self.file is None:
            return
        self.path(self.worker).unlink(missing_ok=True)
        self.file.close()
        self.file = None

    def alive(self, workers: Iterable[str]) -> set[str]:
        return {w for w in workers if self._locked(self.path(w))}

    @staticmethod
    def _locked(path: Path) -> bool:
        while True:
            try:
                handle = open(path)  # noqa: SIM115 - closed below
            except FileNotFoundError:
                return False
            with handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                if _same_file(handle, path):
                    return False
            # The file was replaced while we looked: look at the new one.


def _same_file(handle: IO[str], path: Path) -> bool:
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def presence_for(engine: Engine, worker: str) -> Presence:
    """The presence of a worker on the survey database behind ``engine``."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockPresence(engine, worker)
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return Presence(worker)
    return LockFilePresence(Path(database).resolve().parent / (Path(database).name + ".dialers"),
                            worker)
