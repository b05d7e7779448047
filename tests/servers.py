"""HTTP for the tests: a real server (uvicorn on 127.0.0.1, serving whichever ASGI
app a test installs), in-process httpx transports for an ASGI app, and misbehaving
peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from streamkit.testing.replay import serving


class Switch:
    """ASGI app that delegates to ``app`` (set by each test)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    @contextmanager
    def using(self, app: Any) -> Iterator[Any]:
        previous, self.app = self.app, app
        try:
            yield app
        finally:
            self.app = previous


@contextmanager
def server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serving(switch) as base:
        yield switch, base


# In-process transports ---------------------------------------------------------
#
# httpx.ASGITransport joins the body into one chunk; these keep each body message the
# app sends as one chunk, so a client sees the chunking the app chose (ReplayApp's
# chunk_sizes), with no socket and no thread.

_INCOMPLETE = "peer closed connection without sending complete message body"


@dataclass
class _Reply:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    complete: bool = False


async def _exchange(app: Any, request: httpx.Request, body: bytes) -> _Reply:
    """Run ``app`` for one request to the end and collect what it sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "raw_path": request.url.raw_path.split(b"?")[0],
        "query_string": request.url.query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "server": (request.url.host, request.url.port),
        "client": ("127.0.0.1", 50000),
    }
    reply = _Reply()
    started = body_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if reply.complete:
            return {"type": "http.disconnect"}
        # The whole response is collected before the client reads it, so an app
        # waiting on the client would wait forever: such apps need a real server.
        raise RuntimeError("in-process transport: the app waited on the client mid-response")

    async def send(message: dict[str, Any]) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            assert not started, "response started twice"
            started = True
            reply.status = message["status"]
            reply.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            assert started and not reply.complete, "body outside a response"
            chunk = message.get("body", b"")
            if chunk and request.method != "HEAD":
                reply.parts.append(bytes(chunk))
            reply.complete = not message.get("more_body", False)

    await app(scope, receive, send)
    if not started:
        raise httpx.RemoteProtocolError("the app ended without a response", request=request)
    return reply


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, reply: _Reply) -> None:
        self.reply = reply

    def __iter__(self) -> Iterator[bytes]:
        yield from self.reply.parts
        if not self.reply.complete:  # the app returned mid-body: a dropped connection
            raise httpx.RemoteProtocolError(_INCOMPLETE)


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, reply: _Reply) -> None:
        self.reply = reply

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.reply.parts:
            yield part
        if not self.reply.complete:
            raise httpx.RemoteProtocolError(_INCOMPLETE)


class InProcess(httpx.BaseTransport):
    """Sync httpx transport calling an ASGI app in this thread (one event loop
    per request)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        reply = anyio.run(_exchange, self.app, request, body)
        return httpx.Response(reply.status, headers=reply.headers, stream=_SyncBody(reply))


class AsyncInProcess(httpx.AsyncBaseTransport):
    """Async httpx transport calling an ASGI app in the caller's event loop."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        reply = await _exchange(self.app, request, body)
        return httpx.Response(reply.status, headers=reply.headers, stream=_AsyncBody(reply))


#: The base URL in-process clients use (any host works: nothing is resolved).
IN_PROCESS_URL = "http://replay.test"


# Misbehaving peers ---------------------------------------------------------


async def _start(send: Any, status: int, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type)],
        }
    )


async def html_200(scope: Any, receive: Any, send: Any) -> None:
    """A captive portal or a misrouted proxy: a web page with status 200."""
    await _start(send, 200, b"text/html; charset=utf-8")
    body = b"<!doctype html><html><head><title>Sign in</title></head><body>" + b"x" * 9000
    await send({"type": "http.response.body", "body": body})


async def error_500(scope: Any, receive: Any, send: Any) -> None:
    """An API error with an OpenAI-style JSON body."""
    await _start(send, 500, b"application/json")
    body = (
        b'{"error": {"message": "The server had an error while processing your request.",'
        b' "type": "server_error", "param": null, "code": "server_error"}}'
    )
    await send({"type": "http.response.body", "body": body})


class Stall:
    """Sends ``head`` (whole events and the start of one more), then neither
    sends nor closes until the client goes away."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.connections = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.connections += 1
        await _start(send, 200, b"text/event-stream")
        await send({"type": "http.response.body", "body": self.head, "more_body": True})
        while (await receive())["type"] != "http.disconnect":
            pass


class KeepAlive:
    """Sends ``head`` then keep-alive comments and never an event (bounded, so
    the server thread cannot spin after the client left)."""

    def __init__(self, head: bytes, lines: int = 50_000) -> None:
        self.head = head
        self.lines = lines

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await _start(send, 200, b"text/event-stream")
        await send({"type": "http.response.body", "body": self.head, "more_body": True})
        for i in range(self.lines // 100):
            await send(
                {"type": "http.response.body", "body": b": keep-alive\n\n" * 100, "more_body": True}
            )
            if i % 10 == 0:
                await anyio.sleep(0)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class IgnoreStartingAfter:
    """Wraps an app and drops ``starting_after`` from resume requests, like a
    server that replays a response from its first event."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            query = scope.get("query_string", b"")
            kept = b"&".join(p for p in query.split(b"&") if not p.startswith(b"starting_after="))
            scope = {**scope, "query_string": kept}
        await self.app(scope, receive, send)


class Trickle:
    """Sends ``body`` one byte at a time, ``interval`` seconds apart, then ends
    it: a slow link. Each connection gets the whole body."""

    def __init__(self, body: bytes, interval: float = 0.05) -> None:
        self.body = body
        self.interval = interval
        self.connections = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.connections += 1
        await _start(send, 200, b"text/event-stream")
        for i in range(len(self.body)):
            await anyio.sleep(self.interval)
            await send(
                {"type": "http.response.body", "body": self.body[i : i + 1], "more_body": True}
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@dataclass
class Seen:
    """One request a ``Scripted`` server answered."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


class Scripted:
    """Answers connection ``i`` with ``replies[i]``: a body, and whether the body
    ends cleanly (True) or the connection drops after it (False). Connections
    beyond the script get a 404. ``seen`` lists the requests."""

    def __init__(self, replies: list[tuple[bytes, bool]]) -> None:
        self.replies = replies
        self.seen: list[Seen] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        self.seen.append(Seen(scope["method"], scope["path"], query, headers))
        n = len(self.seen) - 1
        if n >= len(self.replies):
            await _start(send, 404, b"application/json")
            await send({"type": "http.response.body", "body": b'{"error": "no such stream"}'})
            return
        body, complete = self.replies[n]
        await _start(send, 200, b"text/event-stream")
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if complete:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        # Else returning mid-body: the server drops the connection.
