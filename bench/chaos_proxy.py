"""The chaos harness's network: a round-robin HTTP balancer in front of the survey
service's instances, and a TCP proxy in front of PostgreSQL that can be cut.

Run as its own process (``bench/chaos.py`` starts it), so that its work does not
compete with the harness's clients for one interpreter:

    python bench/chaos_proxy.py --http 5160 --backends 5161,5162 --pg 5163 \
        --pg-target 127.0.0.1:5432

- **Balancer** (``--http``): each request goes to the next backend (the other one when
  the first refuses the connection), on a connection of its own (``Connection:
  close`` upstream), and its response is relayed. A backend that drops the
  connection before answering (a worker killed with SIGKILL mid-request) gets the
  client a 502 with ``X-Chaos-Balancer: backend-lost``, as a gateway would. Every
  request without an ``X-Chaos-Client`` header (i.e. the carrier's) is written to
  stdout as one JSON line: wall time at start and end, method, path with query,
  status, backend, and, for the IVR's Gather and Record actions, the signature, the
  form body and the TwiML answered (what a replay needs and checks).
- **PostgreSQL proxy** (``--pg``): bytes both ways. SIGUSR1 cuts it: every open
  connection is aborted (RST) and new ones are accepted and aborted at once, i.e.
  refused; SIGUSR2 restores it. Each change is written as a JSON line too.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
import sys
import time
from urllib.parse import parse_qs

REPLAYABLE = ("/api/v1/telephony/voice/question", "/api/v1/telephony/voice/consent",
              "/api/v1/telephony/voice/recorded")
BACKEND_TIMEOUT = 40.0


def emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _headers(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


def _upstream_head(head: bytes) -> bytes:
    """The request head with ``Connection: close`` (one request per upstream connection)."""
    lines = [line for line in head.decode("latin-1").split("\r\n")
             if line and not line.lower().startswith(("connection:", "keep-alive:"))]
    return ("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode("latin-1")


def _downstream(response: bytes, keep: bool) -> tuple[bytes, bool]:
    """The response for the client, keeping its connection open when the length of the
    body is known (the upstream connection is closed after every request)."""
    head, _, content = response.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    known = any(line.lower().startswith(b"content-length:") for line in lines[1:]) \
        or lines[0].split(b" ")[1] in (b"204", b"304")
    keep = keep and known
    lines = [line for line in lines if not line.lower().startswith(b"connection:")]
    lines.append(b"Connection: keep-alive" if keep else b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + content, keep


def _bad_gateway(reason: str) -> bytes:
    body = json.dumps({"code": 502, "status": "Bad Gateway", "message": reason,
                       "errors": {}}).encode()
    return (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
            b"X-Chaos-Balancer: backend-lost\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)


def _call_sid(body: bytes) -> str | None:
    """The ``CallSid`` form field of a webhook body, if any."""
    values = parse_qs(body.decode("utf-8", "replace")).get("CallSid")
    return values[0] if values else None


class Balancer:
    def __init__(self, backends: list[int]):
        self.backends = backends
        self.turn = itertools.cycle(range(len(backends)))

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, target, headers = _headers(head)
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                started = time.time()
                response, backend = await self.forward(head, body)
                keep = headers.get("connection", "").lower() != "close"
                relayed, keep = _downstream(response, keep)
                writer.write(relayed)
                await writer.drain()
                if "x-chaos-client" not in headers:
                    self.record(started, method, target, headers, body, response, backend)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def forward(self, head: bytes, body: bytes) -> tuple[bytes, int | None]:
        first = next(self.turn)
        order = [self.backends[(first + i) % len(self.backends)]
                 for i in range(len(self.backends))]
        for port in order:
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(
                    "127.0.0.1", port)
            except OSError:
                continue
            try:
                upstream_writer.write(_upstream_head(head) + body)
                await upstream_writer.drain()
                response = await asyncio.wait_for(upstream_reader.read(-1), BACKEND_TIMEOUT)
            except (TimeoutError, OSError):
                response = b""
            finally:
                upstream_writer.close()
            if not response.startswith(b"HTTP/"):
                return _bad_gateway(f"backend {port} dropped the connection"), port
            return response, port
        return _bad_gateway("no backend accepted the connection"), None

    @staticmethod
    def record(started: float, method: str, target: str, headers: dict[str, str],
               body: bytes, response: bytes, backend: int | None) -> None:
        head, _, content = response.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        entry = {"kind": "http", "t0": started, "t1": time.time(), "method": method,
                 "target": target, "status": status, "backend": backend,
                 "lost": b"x-chaos-balancer: backend-lost" in head.lower(),
                 "sid": _call_sid(body)}
        if target.split("?", 1)[0] in REPLAYABLE:
            entry.update(signature=headers.get("x-twilio-signature", ""),
                         body=body.decode("utf-8", "replace"),
                         answer=content.decode("utf-8", "replace"))
        emit(entry)


class PostgresProxy:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cut = False
        self.open: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.transport.abort()
            return
        self.open.update((writer, upstream_writer))
        try:
            await asyncio.gather(self.pipe(reader, upstream_writer),
                                 self.pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self.open.discard(end)
                end.transport.abort()

    @staticmethod
    async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                target.write(chunk)
                await target.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            target.transport.abort()

    def set_cut(self, cut: bool) -> None:
        self.cut = cut
        if cut:
            for end in list(self.open):
                end.transport.abort()
            self.open.clear()
        emit({"kind": "pg", "t": time.time(), "cut": cut})


async def serve(args) -> None:
    servers = []
    if args.http:
        balancer = Balancer([int(p) for p in args.backends.split(",")])
        servers.append(await asyncio.start_server(balancer.handle, "127.0.0.1", args.http,
                                                  backlog=512))
    if args.pg:
        host, port = args.pg_target.rsplit(":", 1)
        proxy = PostgresProxy(host, int(port))
        servers.append(await asyncio.start_server(proxy.handle, "127.0.0.1", args.pg,
                                                  backlog=512))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, proxy.set_cut, True)
        loop.add_signal_handler(signal.SIGUSR2, proxy.set_cut, False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    emit({"kind": "ready", "t": time.time()})
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http", type=int, help="balancer port")
    parser.add_argument("--backends", default="", help="backend ports, comma-separated")
    parser.add_argument("--pg", type=int, help="PostgreSQL proxy port")
    parser.add_argument("--pg-target", default="127.0.0.1:5432")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
