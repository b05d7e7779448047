"""A local OpenAI- and Anthropic-compatible streaming endpoint that replays recordings.

``ReplayApp`` is a plain ASGI application (no framework): point the openai or
anthropic SDK's ``base_url``, httpx or any SSE client at it to test stream
handling without a network or an API key. It serves

* ``POST …/responses``, ``POST …/chat/completions``, ``POST …/completions``
  and ``POST …/messages`` (Anthropic): the next recording of that API (or the
  one named by the request's ``model`` or an ``x-streamkit-recording``
  header), as ``text/event-stream`` when the body asks for ``"stream": true``
  and as the reduced final object otherwise;
* ``GET …/responses/{id}?stream=true&starting_after=N``: the rest of a
  Responses stream after sequence number ``N`` (how clients resume);
  without ``stream=true``, the final ``Response``;
* ``GET …/models``: the recordings' names.

Chunking (random sizes from a seeded generator), pacing, SSE ids, a
``retry`` field and cut connections are options, so reconnecting clients can
be tested against a real socket. ``serve()`` runs the app under uvicorn (the
``server`` extra); ``serving()`` runs it on a background thread and yields
its base URL, for tests.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import re
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs

import anyio
import msgspec

from streamkit.errors import StreamError
from streamkit.events._decoder import API, EventDecoder
from streamkit.io._reduce import reduce
from streamkit.models.messages import Message as AnthropicMessage
from streamkit.models.messages import UnknownBlock
from streamkit.sse._decoder import SSEDecoder, SSEFrame
from streamkit.sse._encoder import encode_sse

__all__ = ["Recording", "ReplayApp", "ReplayRequest", "serve", "serving"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: How a cut connection ends: ``"abort"`` closes the socket mid-body (the
#: client sees a protocol error), ``"eof"`` ends the body cleanly (the client
#: sees the stream end before its terminal event).
CutMode = Literal["abort", "eof"]


class _Seq(msgspec.Struct):
    sequence_number: int | None = None


_SEQ = msgspec.json.Decoder(_Seq)
_PATHS = (
    ("chat", re.compile(r"/chat/completions/?$")),
    ("completions", re.compile(r"/completions/?$")),
    ("responses", re.compile(r"/responses/?$")),
    ("messages", re.compile(r"/messages/?$")),
)
_RETRIEVE = re.compile(r"/responses/([^/]+)/?$")
_MODELS = re.compile(r"/models/?$")


@dataclass
class Recording:
    """One recorded stream, split into its events for partial replays."""

    name: str
    raw: bytes
    api: API
    #: Each event re-encoded as SSE bytes (comments and framing normalised).
    events: list[bytes]
    #: Each event's ``sequence_number`` (Responses), or None.
    sequence_numbers: list[int | None]
    response_id: str | None

    @classmethod
    def load(cls, source: str | os.PathLike[str] | tuple[str, bytes]) -> Recording:
        """Read a recording from a path, or from a ``(name, bytes)`` pair."""
        if isinstance(source, tuple):
            name, raw = source
        else:
            path = Path(source)
            name, raw = path.stem, path.read_bytes()
        sse = SSEDecoder()
        frames = [*sse.feed(raw), *sse.close()]
        decoder = EventDecoder(errors="yield")
        api: API = "auto"
        response_id = None
        for frame in frames:
            with contextlib.suppress(StreamError):
                event = decoder.decode(frame)
                if api == "auto" and decoder.api != "auto":
                    api = decoder.api
                rid = getattr(getattr(event, "response", None), "id", None)
                if response_id is None and isinstance(rid, str):
                    response_id = rid
        return cls(
            name=name,
            raw=raw,
            api="chat" if api == "auto" else api,
            events=[_encode(f) for f in frames],
            sequence_numbers=[_sequence_number(f) for f in frames],
            response_id=response_id,
        )


def _encode(frame: SSEFrame) -> bytes:
    return encode_sse(frame.data, event=None if frame.event == "message" else frame.event)


def _sequence_number(frame: SSEFrame) -> int | None:
    try:
        return _SEQ.decode(frame.data).sequence_number
    except (msgspec.DecodeError, RecursionError):  # not JSON, or nested too deep
        return None


@dataclass(frozen=True)
class ReplayRequest:
    """What the app saw of one request (``ReplayApp.requests``), for tests."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    recording: str | None


@dataclass
class ReplayApp:
    """ASGI app serving recordings as OpenAI-compatible streaming endpoints.

    Args:
        recordings: paths of ``.sse`` files, ``(name, bytes)`` pairs or
            loaded ``Recording`` objects.
        chunk_sizes: body chunk sizes are drawn from this inclusive range;
            None sends each event as one chunk (and the untouched file, when a
            whole recording is served without ids).
        delay: seconds to wait before each chunk (pacing).
        seed: seeds the chunk-size generator (per connection: seed + n).
        ids: add ``id: <n>`` to every event and honour ``Last-Event-ID``.
        retry: send ``retry: <ms>`` first.
        cut_every: end each connection after this many events (then after
            half of the next event's bytes when ``cut_partial``).
        cut_at: byte offsets: connection ``i`` (counted over the app's
            streams) ends after ``cut_at[i]`` body bytes.
        cut_mode: how a cut ends (see ``CutMode``).
        serve_as: ``"responses"``, ``"chat"`` or ``"messages"``: serve every
            recording as a stream of that API, converted with
            ``streamkit.convert`` (recordings of that API are served as they are).
    """

    recordings: Iterable[str | os.PathLike[str] | tuple[str, bytes] | Recording]
    chunk_sizes: tuple[int, int] | None = None
    delay: float = 0.0
    seed: int = 0
    ids: bool = False
    retry: int | None = None
    cut_every: int | None = None
    cut_partial: bool = False
    cut_at: Sequence[int] = ()
    cut_mode: CutMode = "abort"
    serve_as: Literal["responses", "chat", "messages"] | None = None
    #: Every request seen, in order.
    requests: list[ReplayRequest] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        loaded = [r if isinstance(r, Recording) else Recording.load(r) for r in self.recordings]
        if not loaded:
            raise ValueError("ReplayApp needs at least one recording")
        if self.serve_as is not None:
            loaded = [_converted(r, self.serve_as) for r in loaded]
        #: The recordings served, loaded.
        self.catalog: list[Recording] = loaded
        self._by_name = {r.name: r for r in loaded}
        self._by_id = {r.response_id: r for r in loaded if r.response_id}
        self._cycles = {
            api: itertools.cycle([r for r in loaded if r.api == api] or loaded)
            for api in ("responses", "chat", "completions", "messages")
        }
        self._streams = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # pragma: no cover - websockets are not served
            return
        body = await _read_body(receive)
        method, path = scope["method"], scope["path"]
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        recording, status, payload = self._route(method, path, query, headers, body)
        with self._lock:
            self.requests.append(
                ReplayRequest(method, path, query, headers, recording.name if recording else None)
            )
        if payload is not None:
            await _send_json(send, status, payload)
            return
        assert recording is not None
        start = self._start_index(recording, query, headers)
        await self._stream(send, recording, start)

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[Recording | None, int, Any]:
        if method == "GET" and _MODELS.search(path):
            data = [
                {"id": r.name, "object": "model", "owned_by": "streamkit"} for r in self.catalog
            ]
            return None, 200, {"object": "list", "data": data}
        match = _RETRIEVE.search(path)
        if method == "GET" and match:
            found = self._by_id.get(match.group(1))
            if found is None:
                return None, 404, _error(f"No response with id '{match.group(1)}'.", "not_found")
            if query.get("stream", "").lower() == "true":
                return found, 200, None
            return None, 200, _final(found)
        if method != "POST":
            return None, 405, _error(f"{method} {path} is not served", "method_not_allowed")
        api = next((a for a, pattern in _PATHS if pattern.search(path)), None)
        if api is None:
            return None, 404, _error(f"no endpoint at {path}", "not_found")
        try:
            request = msgspec.json.decode(body) if body else {}
        except msgspec.DecodeError:
            return None, 400, _error("request body is not JSON", "invalid_request_error", api)
        except RecursionError:
            message = "request body nests too deep"
            return None, 400, _error(message, "invalid_request_error", api)
        if not isinstance(request, dict):
            message = "request body must be a JSON object"
            return None, 400, _error(message, "invalid_request_error", api)
        name = headers.get("x-streamkit-recording") or request.get("model")
        recording = self._by_name.get(name) if isinstance(name, str) else None
        if recording is None and "x-streamkit-recording" in headers:
            return None, 404, _error(f"no recording named {name!r}", "not_found", api)
        with self._lock:
            recording = recording or next(self._cycles[api])
        if request.get("stream") is True:
            return recording, 200, None
        return None, 200, _final(recording)

    def _start_index(
        self, recording: Recording, query: dict[str, str], headers: dict[str, str]
    ) -> int:
        after = query.get("starting_after")
        if after is not None and after.lstrip("-").isdigit():
            n = int(after)
            seqs = recording.sequence_numbers
            return next((i for i, s in enumerate(seqs) if s is not None and s > n), len(seqs))
        last_id = headers.get("last-event-id", "")
        if self.ids and last_id.isdigit():
            return int(last_id) + 1
        return 0

    async def _stream(self, send: Send, recording: Recording, start: int) -> None:
        with self._lock:
            n = self._streams
            self._streams += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                ],
            }
        )
        rng = random.Random(self.seed + n)
        for chunk in self._chunks(recording, start, n, rng):
            if self.delay:
                await anyio.sleep(self.delay)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if self._cut(n, recording, start) is not None and self.cut_mode == "abort":
            # Returning without the final message makes the server drop the
            # connection mid-body: the client sees an incomplete response.
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _chunks(
        self, recording: Recording, start: int, n: int, rng: random.Random
    ) -> Iterator[bytes]:
        events = recording.events[start:]
        if self.ids:
            events = [b"id: %d\n" % (start + i) + e for i, e in enumerate(events)]
        if self.retry is not None:
            events.insert(0, b"retry: %d\n\n" % self.retry)
        limit = self._cut(n, recording, start)
        if limit is None and self.chunk_sizes is None:
            yield from events  # one event per chunk, as most servers write them
            return
        whole = start == 0 and not self.ids and self.retry is None
        body = recording.raw if whole and limit is None else b"".join(events)
        if limit is not None:
            body = body[:limit]
        pos = 0
        while pos < len(body):
            size = rng.randint(*self.chunk_sizes) if self.chunk_sizes else len(body)
            yield body[pos : pos + size]
            pos += size

    def _cut(self, n: int, recording: Recording, start: int) -> int | None:
        """Body bytes connection ``n`` sends before it is cut, or None."""
        if n < len(self.cut_at):
            return self.cut_at[n]
        events = recording.events[start:]
        every = self.cut_every
        if every is None or len(events) <= every:
            return None
        ids = sum(len(b"id: %d\n" % (start + i)) for i in range(every + 1)) if self.ids else 0
        head = len(b"retry: %d\n\n" % self.retry) if self.retry is not None else 0
        sent = head + sum(len(e) for e in events[:every])
        if not self.cut_partial:
            return sent + (ids - len(b"id: %d\n" % (start + every)) if self.ids else 0)
        return sent + ids + len(events[every]) // 2


def _converted(recording: Recording, to: Literal["responses", "chat", "messages"]) -> Recording:
    """``recording`` as a stream of API ``to`` (itself when it already is one)."""
    if recording.api == to:
        return recording
    if recording.api == "completions":
        raise ValueError(f"{recording.name}: legacy Completions streams cannot be converted")
    from streamkit.convert import convert
    from streamkit.events import encode_events

    body = b"".join(encode_events(convert(recording.raw, to, api=recording.api), api=to))
    return Recording.load((recording.name, body))


def _final(recording: Recording) -> Any:
    """The final object of a recording, as the API's non-streaming answer (a
    Messages content block of an unknown kind as the JSON it was sent as)."""
    result = reduce(recording.raw, recording.api)
    if isinstance(result, AnthropicMessage):
        content = [b.raw if isinstance(b, UnknownBlock) else b for b in result.content]
        result = msgspec.structs.replace(result, content=content)
    return msgspec.to_builtins(result)


def _error(message: str, code: str, api: str | None = None) -> dict[str, Any]:
    """An error body in the shape of the API's errors (Anthropic's for Messages)."""
    if api == "messages":
        kind = "not_found_error" if code == "not_found" else "invalid_request_error"
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    }


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _send_json(send: Send, status: int, payload: Any) -> None:
    body = msgspec.json.encode(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _server(app: Any, host: str, port: int, log_level: str) -> Any:
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("serving needs uvicorn: pip install 'streamkit[server]'") from exc
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def serve(app: Any, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info") -> None:
    """Run an ASGI app (usually a ``ReplayApp``) under uvicorn until interrupted."""
    _server(app, host, port, log_level).run()


@contextlib.contextmanager
def serving(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run an ASGI app under uvicorn on a background thread; yield its base URL
    (``http://host:port``). ``port=0`` picks a free port. The server stops when
    the block exits."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that name
    # it, and without it each request on a kept-alive connection waits ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = _server(app, host, sock.getsockname()[1], "critical")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread stopped before it started")
            threading.Event().wait(0.005)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
