"""A real HTTP server for the tests: uvicorn on 127.0.0.1, started once per
session, serving whichever ASGI app a test installs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from streamkit.replay import serving


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
