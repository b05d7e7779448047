"""Load: N concurrent streams over loopback, every result checked.

``python -m benchmarks.load --streams 100,1000,10000 [--sync-max 1000]
[--delay S] [--timeout S]`` starts the replay server (``streamkit.testing.replay``)
in a child process on 127.0.0.1, then for each N opens N concurrent streams
with ``streamkit.http.areduce`` on one asyncio loop (``--per-client`` streams
per httpx client) (and, for N up to
``--sync-max``, with ``streamkit.http.reduce`` on N threads), checks every
result against ``streamkit.reduce`` of the same bytes offline, and reports
wall time, events per second, peak RSS and RSS per open stream.

The streams are the generated demo streams of the Responses, Chat and
Messages APIs, served one event per chunk with ``--delay`` seconds before
each, so that the N streams are open at the same time. RLIMIT_NOFILE is raised
to its hard limit in both processes; N is capped to what it allows. Only
loopback addresses are used; every run has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

import streamkit
import streamkit.http
from streamkit.testing import demo_stream

__all__ = ["STREAMS", "Result", "main", "raise_nofile", "run_async", "run_sync", "server"]

HOST = "127.0.0.1"
#: (recording name, API path, demo stream): small streams of each API.
STREAMS = (
    ("chat-tools", "/v1/chat/completions", "chat-tools"),
    ("responses-refusal", "/v1/responses", "responses-refusal"),
    ("messages-tools", "/v1/messages", "messages-tools"),
    ("chat-refusal", "/v1/chat/completions", "chat-refusal"),
)

_SERVER = """
import resource, socket, sys
import uvicorn
from streamkit.testing import demo_stream
from streamkit.testing.replay import ReplayApp

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
names = sys.argv[2].split(",")
app = ReplayApp([(name, demo_stream(name)) for name in names], delay=float(sys.argv[1]))
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
config = uvicorn.Config(app, log_level="critical", lifespan="off", backlog=16384,
                        timeout_keep_alive=60, timeout_graceful_shutdown=1)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(config).run(sockets=[sock])
"""


def raise_nofile() -> int:
    """Raise this process's open-file limit to its hard limit; return it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextlib.contextmanager
def server(delay: float) -> Iterator[str]:
    """The replay server in a child process; yields its base URL on 127.0.0.1."""
    names = ",".join(name for name, _, _ in STREAMS)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(delay), names],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the replay server did not start")
            time.sleep(0.05)
        yield f"http://{HOST}:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _rss(key: str = "VmRSS") -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Result:
    """One load run."""

    mode: str
    streams: int
    correct: int
    errors: dict[str, int]
    wall: float
    events: int
    peak_open: int
    base_rss: int
    peak_rss: int

    def row(self) -> str:
        per = (self.peak_rss - self.base_rss) / max(1, self.peak_open)
        errors = ", ".join(f"{k}: {v}" for k, v in self.errors.items()) or "none"
        return (
            f"| {self.mode} | {self.streams:,} | {self.correct:,}/{self.streams:,} | {errors} | "
            f"{self.wall:.1f} s | {self.events / self.wall:,.0f} | {self.peak_open:,} | "
            f"{self.peak_rss / 2**20:.0f} MiB | {per / 1024:.0f} KiB |"
        )


def _expected() -> dict[str, tuple[Any, int]]:
    out = {}
    for name, _, demo in STREAMS:
        body = demo_stream(demo)
        out[name] = (streamkit.reduce(body), body.count(b"\n\n"))
    return out


class _Gauge:
    """Open streams now and at most, and the process's peak RSS while they run."""

    def __init__(self) -> None:
        self.open = 0
        self.peak_open = 0
        self.peak_rss = _rss()
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.open += 1
            self.peak_open = max(self.peak_open, self.open)

    def exit(self) -> None:
        with self._lock:
            self.open -= 1

    def sample(self) -> None:
        self.peak_rss = max(self.peak_rss, _rss())


def _body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": name, "stream": True}
    if name.startswith("messages"):
        body |= {"max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}]}
    elif name.startswith("chat"):
        body |= {"messages": [{"role": "user", "content": "hi"}]}
    else:
        body |= {"input": "hi"}
    return body


def _tally(
    mode: str,
    n: int,
    outcomes: list[Any],
    expected: dict[str, Any],
    wall: float,
    g: _Gauge,
    base: int,
) -> Result:
    correct, events, errors = 0, 0, {}
    for i, outcome in enumerate(outcomes):
        name = STREAMS[i % len(STREAMS)][0]
        want, count = expected[name]
        if isinstance(outcome, BaseException):
            key = type(outcome).__name__
            errors[key] = errors.get(key, 0) + 1
        elif outcome == want:
            correct += 1
            events += count
        else:
            errors["wrong result"] = errors.get("wrong result", 0) + 1
    return Result(mode, n, correct, errors, wall, events, g.peak_open, base, g.peak_rss)


async def _arun(base_url: str, n: int, timeout: float, g: _Gauge, per_client: int) -> list[Any]:
    # Several clients: httpcore's pool does work per request that grows with
    # the connections it holds, which would measure the pool, not the streams.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    client_timeout = httpx.Timeout(timeout, pool=None)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, limits=limits, timeout=client_timeout)
            )
            for _ in range(0, n, per_client)
        ]

        async def one(i: int) -> Any:
            name, path, _ = STREAMS[i % len(STREAMS)]
            client = clients[i // per_client]
            g.enter()
            try:
                return await streamkit.http.areduce(client, "POST", path, json=_body(name))
            finally:
                g.exit()

        async def sampler() -> None:
            while True:
                g.sample()
                await asyncio.sleep(0.05)

        probe = asyncio.create_task(sampler())
        try:
            return await asyncio.wait_for(
                asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True), timeout
            )
        finally:
            probe.cancel()


def run_async(base_url: str, n: int, timeout: float = 300.0, per_client: int = 100) -> Result:
    """N concurrent ``areduce`` streams on one event loop, ``per_client``
    streams per ``httpx.AsyncClient``."""
    expected = _expected()
    g = _Gauge()
    base = _rss()
    g.peak_rss = base
    t0 = time.perf_counter()
    try:
        outcomes = asyncio.run(_arun(base_url, n, timeout, g, per_client))
    except TimeoutError as exc:
        outcomes = [exc] * n
    wall = time.perf_counter() - t0
    return _tally("areduce (asyncio)", n, outcomes, expected, wall, g, base)


def run_sync(base_url: str, n: int, timeout: float = 300.0, per_client: int = 100) -> Result:
    """N concurrent ``reduce`` streams, one thread each, ``per_client``
    streams per ``httpx.Client``."""
    expected = _expected()
    g = _Gauge()
    base = _rss()
    g.peak_rss = base
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    done = threading.Event()

    def sampler() -> None:
        while not done.wait(0.05):
            g.sample()

    probe = threading.Thread(target=sampler, daemon=True)
    probe.start()
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        clients = [
            stack.enter_context(httpx.Client(base_url=base_url, limits=limits, timeout=timeout))
            for _ in range(0, n, per_client)
        ]

        def one(i: int) -> Any:
            name, path, _ = STREAMS[i % len(STREAMS)]
            g.enter()
            try:
                client = clients[i // per_client]
                return streamkit.http.reduce(client, "POST", path, json=_body(name))
            except Exception as exc:
                return exc
            finally:
                g.exit()

        with ThreadPoolExecutor(max_workers=n) as pool:
            outcomes = list(pool.map(one, range(n), timeout=timeout))
    wall = time.perf_counter() - t0
    done.set()
    probe.join()
    return _tally(f"reduce ({n} threads)", n, outcomes, expected, wall, g, base)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--streams", default="100,1000,10000", help="comma-separated N")
    parser.add_argument("--sync-max", type=int, default=1000, help="largest N run on threads")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds before each event")
    parser.add_argument("--timeout", type=float, default=300.0, help="deadline per run (s)")
    parser.add_argument("--per-client", type=int, default=100, help="streams per httpx client")
    args = parser.parse_args(argv)
    limit = raise_nofile()
    # The client holds one socket per stream, plus a margin for the
    # interpreter's own files.
    cap = max(1, limit - 64)
    sizes = [int(s) for s in args.streams.split(",") if s.strip()]
    print(f"RLIMIT_NOFILE {limit:,}; streams {', '.join(f'{n:,}' for n in sizes)}", flush=True)
    print(
        "| client | streams | correct | errors | wall | events/s | open at once | peak RSS | "
        "RSS per open stream |"
    )
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    failed = False
    with server(args.delay) as base_url:
        for n in sizes:
            if n > cap:
                print(f"| (N = {n:,} capped to {cap:,} by RLIMIT_NOFILE) |", flush=True)
                n = cap
            runs = [run_async]
            if n <= args.sync_max:
                runs.append(run_sync)
            for fn in runs:
                result = fn(base_url, n, args.timeout, args.per_client)
                failed |= result.correct != n
                print(result.row(), flush=True)
    print(json.dumps({"ok": not failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
