"""Streaming HTTP requests with httpx: typed events, final objects, resume.

``stream`` / ``astream`` open a request and yield its typed events;
``reduce`` / ``areduce`` return the final object. Responses streams are
resumed after a dropped connection by default (see ``Resume``). The errors
raised here (``UnexpectedResponseError``, ``ConnectionLostError``, ...) live in
``streamkit.errors`` with every other streamkit error.

The sync and async twins share everything but the I/O calls: ``_Session``
holds the decoders and the resume state and decides what to do next; the two
loops only read, sleep and reconnect.
"""

from __future__ import annotations

import contextlib
import random
import re
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Collection, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import msgspec

from streamkit._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
from streamkit.errors import (
    ConnectionLostError,
    ResumeFailedError,
    StreamError,
    StreamTimeoutError,
    UnexpectedResponseError,
)
from streamkit.events._decoder import API, ErrorMode, Event, EventDecoder
from streamkit.events._names import event_type
from streamkit.io._reduce import Final, _Driver

__all__ = [
    "Resume",
    "EventStream",
    "AsyncEventStream",
    "stream",
    "astream",
    "reduce",
    "areduce",
]

#: Bytes of a non-stream body kept on ``UnexpectedResponseError.body``.
BODY_EXCERPT = 4096

# The end events of a Responses and of a Messages stream.
_TERMINAL = frozenset(
    {"response.completed", "response.failed", "response.incomplete", "message_stop"}
)
# Statuses worth another attempt when a reconnection gets them.
_TRANSIENT = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")
_RETRIEVE = re.compile(r"/responses/[^/]+$")


@dataclass(frozen=True)
class Resume:
    """How a dropped stream is resumed.

    A Responses stream (one that carried a response id and sequence numbers)
    is resumed with ``GET …/responses/{id}?stream=true&starting_after=N``,
    ``N`` being the last sequence number received; events at or below ``N``
    that a server sends again are dropped, so nothing is lost and nothing is
    seen twice. Any other stream whose events carried SSE ids is resumed by
    sending the same request again with ``Last-Event-ID``, the generic SSE
    way. A stream with neither cannot be resumed.

    Args:
        max_attempts: reconnection attempts allowed in a row without a new
            event; each event that arrives resets the count.
        backoff: delay before the first attempt, in seconds; doubled on each
            further attempt. A ``retry:`` field sent by the server replaces it.
        max_backoff: upper bound of the delay.
        jitter: the delay is spread by up to this fraction, so many clients
            dropped at once do not reconnect in step.
        url: builds the resume URL from the original request's URL, the
            response id and the last sequence number, for servers that do not
            follow the OpenAI layout; return None when there is none.
    """

    max_attempts: int = 5
    backoff: float = 0.25
    max_backoff: float = 8.0
    jitter: float = 0.1
    url: Callable[[httpx.URL, str, int], httpx.URL | None] | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.backoff < 0 or self.max_backoff < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff and max_backoff must be >= 0, jitter in [0, 1]")


def _policy(resume: bool | Resume) -> Resume | None:
    if isinstance(resume, Resume):
        return resume
    return Resume() if resume else None


def _resume_url(url: httpx.URL, response_id: str, after: int) -> httpx.URL | None:
    path = url.path.rstrip("/")
    if path.endswith("/responses"):
        path = f"{path}/{response_id}"
    elif not _RETRIEVE.search(path):
        return None
    # Keep the original query (Azure's api-version, say) but not a previous
    # resume position.
    params = url.params.remove("stream").remove("starting_after")
    params = params.set("stream", "true").set("starting_after", str(after))
    return url.copy_with(path=path, params=params)


@dataclass(frozen=True)
class _Plan:
    """A reconnection request, built by whichever client sends it (httpx, or
    the HTTP library under the openai SDK)."""

    method: str
    url: str
    headers: httpx.Headers
    content: bytes | None
    extensions: dict[str, Any]

    def build(self, client: Any) -> Any:
        return client.build_request(
            self.method,
            self.url,
            headers=list(self.headers.multi_items()),
            content=self.content,
            extensions=self.extensions,
        )


def _transport_errors(response: object) -> tuple[type[BaseException], ...]:
    """The transport error classes of the library that made ``response``:
    httpx, or a library of the same shape (the openai SDK ships its own)."""
    root = sys.modules.get(type(response).__module__.partition(".")[0])
    other = getattr(root, "TransportError", None)
    if (
        isinstance(other, type)
        and issubclass(other, Exception)
        and other is not httpx.TransportError
    ):
        return (httpx.TransportError, other)
    return (httpx.TransportError,)


class _Session:
    """The I/O-free part of a (possibly resumed) stream: decoding, progress
    and the decision how to reconnect."""

    def __init__(
        self,
        api: API,
        resume: Resume | None,
        strict: bool,
        types: Collection[str] | None,
        errors: ErrorMode,
        max_event_bytes: int,
        max_idle_lines: int | None,
    ) -> None:
        self.decoder = EventDecoder(api, strict=strict, types=types, errors=errors)
        self.policy = resume
        self.max_event_bytes = max_event_bytes
        self.max_idle_lines = max_idle_lines
        self.response_id: str | None = None
        self.last_sequence_number: int | None = None
        self.last_event_id = ""
        self.retry: int | None = None
        self.complete = False
        self.errored = False
        self.resumes = 0
        self.attempts = 0
        self.last_type: str | None = None
        self._floor: int | None = None  # sequence numbers at or below it were seen
        self._sse: SSEDecoder | None = None
        self._origin: Any = None

    def connection(self, request: Any) -> SSEDecoder:
        """A fresh SSE decoder for a new connection (an event cut by the drop
        is discarded with the old one, as the SSE rules require)."""
        if self._origin is None:
            self._origin = request
        self._end_connection()
        sse = SSEDecoder(max_event_bytes=self.max_event_bytes, max_idle_lines=self.max_idle_lines)
        sse.last_event_id = self.last_event_id
        self._sse = sse
        return sse

    def _end_connection(self) -> None:
        if self._sse is not None:
            self.last_event_id = self._sse.last_event_id
            if self._sse.retry is not None:
                self.retry = self._sse.retry

    def events(self, chunk: bytes) -> tuple[list[Event], StreamError | None]:
        """The new events of one chunk (duplicates of a resumed stream
        removed), and the error that stopped decoding it, if any: the events
        before an error are delivered before it is raised."""
        assert self._sse is not None
        out: list[Event] = []
        decode = self.decoder.decode
        try:
            for frame in self._sse.feed(chunk):
                event = decode(frame)
                if event is not None and self._accept(event):
                    out.append(event)
        except StreamError as exc:
            return out, exc
        return out, None

    def _accept(self, event: Event) -> bool:
        seq = getattr(event, "sequence_number", None)
        if isinstance(seq, int):
            if self._floor is not None and seq <= self._floor:
                return False
            self.last_sequence_number = seq
        kind = self.last_type = event_type(event)
        if self.response_id is None:
            rid = getattr(getattr(event, "response", None), "id", None)
            if isinstance(rid, str) and rid:
                self.response_id = rid
        if self.decoder.api in ("responses", "messages"):
            if kind in _TERMINAL:
                self.complete = True
            elif kind == "error":
                # The server reports the response failed: read on (a
                # ``response.failed`` may follow), and take a clean end of
                # the body as the end of the stream, not as a drop.
                self.errored = True
        self.attempts = 0
        return True

    def finished(self) -> bool:
        """True once the stream reached its end (a terminal event or
        ``[DONE]``): an end of the body after it is not a drop. Reading goes
        on to the end of the body all the same (``[DONE]`` may follow a
        terminal event)."""
        return self.complete or self.decoder.done

    def eof(self) -> None:
        assert self._sse is not None
        self._sse.close()
        self._end_connection()

    def next_request(self, cause: BaseException | None) -> _Plan | None:
        """What to send after the connection ended without the end marker.

        None: end the stream here (not resumable, clean end). Raises
        ``ConnectionLostError`` / ``StreamTimeoutError`` when the connection
        broke and cannot be resumed, ``ResumeFailedError`` after the last
        allowed attempt."""
        self._end_connection()
        if self.finished():
            return None  # a drop after the stream's end loses nothing
        cut = cause is not None or (self._sse is not None and self._sse.truncated)
        if self.errored and not cut:
            return None  # the server ended the response with an error
        request = self._resume_request()
        if request is None:
            if cause is None:
                return None
            raise self._lost(cause)
        assert self.policy is not None
        if self.attempts >= self.policy.max_attempts:
            what = f"after {self.attempts} reconnection attempts without a new event"
            err = ResumeFailedError(
                f"gave up resuming the stream {what}"
                + (f": {cause}" if cause is not None else " (the server kept ending it early)"),
                attempts=self.attempts,
                last_error=cause,
                index=self.decoder.index,
                event_type=self.last_type,
            )
            raise err from cause
        self.attempts += 1
        self.resumes += 1
        return request

    def _lost(self, cause: BaseException) -> ConnectionLostError:
        timeout = any(c.__name__ == "TimeoutException" for c in type(cause).__mro__)
        kind = StreamTimeoutError if timeout else ConnectionLostError
        why = "resuming is off" if self.policy is None else "it cannot be resumed"
        err = kind(
            f"connection lost ({type(cause).__name__}: {cause}) and {why}",
            index=self.decoder.index,
            event_type=self.last_type,
        )
        err.__cause__ = cause
        return err

    def _resume_request(self) -> _Plan | None:
        origin = self._origin
        if self.policy is None or origin is None:
            return None
        headers = httpx.Headers(list(origin.headers.multi_items()))
        for name in _BODY_HEADERS:
            headers.pop(name, None)
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        extensions = dict(origin.extensions)
        url = httpx.URL(str(origin.url))
        rid, seq = self.response_id, self.last_sequence_number
        if self.decoder.api == "responses" and rid is not None and seq is not None:
            make = self.policy.url or _resume_url
            resume_url = make(url, rid, seq)
            if resume_url is not None:
                self._floor = seq
                return _Plan("GET", str(resume_url), headers, None, extensions)
        if self.last_event_id:
            try:
                content = bytes(origin.content)
            except Exception:  # a streamed request body was never read: it cannot be re-sent
                return None
            return _Plan(origin.method, str(url), headers, content, extensions)
        return None

    def delay(self) -> float:
        """Seconds to wait before the current attempt."""
        assert self.policy is not None
        p = self.policy
        base = self.retry / 1000 if self.retry is not None else p.backoff
        factor: float = 2.0 ** max(0, self.attempts - 1)
        delay = min(p.max_backoff, base * factor)
        spread: float = p.jitter * (2 * random.random() - 1)
        return delay * (1 + spread)


def _check(response: httpx.Response, body: bytes) -> UnexpectedResponseError | None:
    """The error for a response that is not a stream (given the start of its
    body, which the caller read), or None."""
    ctype = response.headers.get("content-type", "")
    status = response.status_code
    if 200 <= status < 300 and (not ctype or _is_sse(ctype)):
        return None
    code = error_type = message = None
    payload: Any = None
    with contextlib.suppress(msgspec.DecodeError):  # a body that is not JSON has no details
        payload = msgspec.json.decode(body)
    err = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(err, dict):
        message, code, error_type = err.get("message"), err.get("code"), err.get("type")
    elif isinstance(err, str):
        message = err
    if not 200 <= status < 300:
        what = f"HTTP {status} {response.reason_phrase}".rstrip()
    else:
        what = f"expected a text/event-stream, got {ctype!r} (HTTP {status})"
    if isinstance(message, str):
        what = f"{what}: {message}"
    return UnexpectedResponseError(
        what,
        status_code=status,
        content_type=ctype,
        body=body,
        response=response,
        code=code if isinstance(code, str | int) else None,
        error_type=error_type if isinstance(error_type, str) else None,
        server_message=message if isinstance(message, str) else None,
    )


def _is_sse(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "text/event-stream"


def _is_error_status(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "")
    return not (200 <= response.status_code < 300 and (not ctype or _is_sse(ctype)))


def _build(
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    kwargs: dict[str, Any],
) -> tuple[httpx.Request, dict[str, Any]]:
    send: dict[str, Any] = {k: kwargs.pop(k) for k in ("auth", "follow_redirects") if k in kwargs}
    headers = httpx.Headers(kwargs.pop("headers", None))
    headers.setdefault("Accept", "text/event-stream")
    return client.build_request(method, url, headers=headers, **kwargs), send


def _unwrap(response: Any) -> Any:
    # The openai SDK's raw streaming responses wrap an HTTP response of
    # httpx's shape (from httpx or from the SDK's own copy of it).
    inner = getattr(response, "http_response", response)
    if not all(hasattr(inner, a) for a in ("status_code", "headers", "request", "iter_bytes")):
        raise TypeError(
            "expected an httpx client, an httpx.Response or an openai raw response, "
            f"not {type(response).__name__}"
        )
    return inner


class _Base:
    def __init__(self, session: _Session, response: Any, client: Any, send: dict[str, Any]) -> None:
        self._session = session
        #: The HTTP response being read (the latest one after a resume): an
        #: ``httpx.Response``, or the openai SDK's HTTP response.
        self.response = response
        self._client = client  # to reconnect with (None: resuming is off)
        self._send = send
        self._opened: list[Any] = []

    @property
    def response_id(self) -> str | None:
        """The Responses API response id, once an event carried it."""
        return self._session.response_id

    @property
    def last_sequence_number(self) -> int | None:
        """The sequence number of the last event delivered."""
        return self._session.last_sequence_number

    @property
    def last_event_id(self) -> str:
        """The SSE last event id (sent as ``Last-Event-ID`` on a resume)."""
        return self._session.last_event_id

    @property
    def resumes(self) -> int:
        """How many times the stream was reconnected."""
        return self._session.resumes

    @property
    def api(self) -> API:
        """The stream's API (``"auto"`` until the first event decided it)."""
        return self._session.decoder.api


class EventStream(_Base):
    """The typed events of an HTTP stream, resumed across dropped connections.

    Iterate it once. Attributes tell where the stream is (``response_id``,
    ``last_sequence_number``, ``last_event_id``, ``resumes``).
    """

    def __init__(self, session: _Session, response: Any, client: Any, send: dict[str, Any]) -> None:
        super().__init__(session, response, client, send)
        self._iter: Generator[Event, None, None] = self._events()

    def __iter__(self) -> Iterator[Event]:
        return self._iter

    def __next__(self) -> Event:
        return next(self._iter)

    def close(self) -> None:
        """Close the responses this stream opened."""
        self._iter.close()
        for response in self._opened:
            response.close()

    def _events(self) -> Generator[Event, None, None]:
        session = self._session
        response = self.response
        while True:
            cause: BaseException | None = None
            session.connection(response.request)
            transport_errors = _transport_errors(response)
            try:
                if response.status_code != 204:  # 204: the server has no more events
                    for chunk in response.iter_bytes():
                        events, error = session.events(chunk)
                        yield from events
                        if error is not None:
                            raise error
                        if session.decoder.done:
                            return
                    session.eof()
                    if session.finished():
                        return
            except transport_errors as exc:
                cause = exc
            else:
                if response.status_code == 204:
                    return
            next_response = self._reconnect(cause)
            if next_response is None:
                return
            response = next_response

    def _reconnect(self, cause: BaseException | None) -> Any:
        session = self._session
        while True:
            plan = session.next_request(cause)
            if plan is None or self._client is None:
                return None
            time.sleep(session.delay())
            try:
                response = self._client.send(plan.build(self._client), stream=True, **self._send)
            except _transport_errors(self._client) as exc:
                cause = exc
                continue
            self._opened.append(response)
            error = _check(response, _head_sync(response)) if _is_error_status(response) else None
            if error is None:
                self.response = response
                return response
            if response.status_code not in _TRANSIENT:
                raise _gave_up(session, error)
            cause = error


def _gave_up(session: _Session, error: UnexpectedResponseError) -> ResumeFailedError:
    err = ResumeFailedError(
        f"the server refused to resume the stream: {error}",
        attempts=session.attempts,
        last_error=error,
        index=session.decoder.index,
        event_type=session.last_type,
    )
    err.__cause__ = error
    return err


def _head_sync(response: httpx.Response) -> bytes:
    body = bytearray()
    # The excerpt is best effort: the status already tells the story.
    with contextlib.closing(response), contextlib.suppress(Exception):
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= BODY_EXCERPT:
                break
    return bytes(body[:BODY_EXCERPT])


async def _head_async(response: httpx.Response) -> bytes:
    body = bytearray()
    try:
        with contextlib.suppress(Exception):  # best effort, as above
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= BODY_EXCERPT:
                    break
    finally:
        await response.aclose()
    return bytes(body[:BODY_EXCERPT])


class AsyncEventStream(_Base):
    """Async twin of ``EventStream``: iterate it with ``async for``."""

    def __init__(self, session: _Session, response: Any, client: Any, send: dict[str, Any]) -> None:
        super().__init__(session, response, client, send)
        self._iter: AsyncGenerator[Event, None] = self._events()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iter

    async def __anext__(self) -> Event:
        return await self._iter.__anext__()

    async def aclose(self) -> None:
        """Close the responses this stream opened."""
        await self._iter.aclose()
        for response in self._opened:
            await response.aclose()

    async def _events(self) -> AsyncGenerator[Event, None]:
        session = self._session
        response = self.response
        while True:
            cause: BaseException | None = None
            session.connection(response.request)
            transport_errors = _transport_errors(response)
            try:
                if response.status_code != 204:
                    async for chunk in response.aiter_bytes():
                        events, error = session.events(chunk)
                        for event in events:
                            yield event
                        if error is not None:
                            raise error
                        if session.decoder.done:
                            return
                    session.eof()
                    if session.finished():
                        return
            except transport_errors as exc:
                cause = exc
            else:
                if response.status_code == 204:
                    return
            next_response = await self._reconnect(cause)
            if next_response is None:
                return
            response = next_response

    async def _reconnect(self, cause: BaseException | None) -> Any:
        session = self._session
        while True:
            plan = session.next_request(cause)
            if plan is None or self._client is None:
                return None
            await anyio.sleep(session.delay())
            try:
                request = plan.build(self._client)
                response = await self._client.send(request, stream=True, **self._send)
            except _transport_errors(self._client) as exc:
                cause = exc
                continue
            self._opened.append(response)
            if _is_error_status(response):
                error = _check(response, await _head_async(response))
                assert error is not None
                if response.status_code not in _TRANSIENT:
                    raise _gave_up(session, error)
                cause = error
                continue
            self.response = response
            return response


def _session(
    api: API,
    resume: bool | Resume,
    strict: bool,
    types: Collection[str] | None,
    errors: ErrorMode,
    max_event_bytes: int,
    max_idle_lines: int | None,
) -> _Session:
    return _Session(api, _policy(resume), strict, types, errors, max_event_bytes, max_idle_lines)


def _target(
    client: Any,
    client_type: type[httpx.Client] | type[httpx.AsyncClient],
    method: str | None,
    url: str | httpx.URL | None,
    request_kwargs: dict[str, Any],
    resume_client: Any,
) -> tuple[httpx.Request | None, dict[str, Any], Any, Any]:
    """What ``stream``/``astream`` were given: (the request to send, its send
    options, or else the open response; the client to reconnect with)."""
    if isinstance(client, client_type):
        if method is None or url is None:
            raise TypeError("a client needs a method and a URL: stream(client, method, url)")
        request, send = _build(client, method, url, request_kwargs)
        return request, send, None, client
    if method is not None or url is not None or request_kwargs:
        raise TypeError("pass a method, URL and request options only with a client")
    return None, {}, _unwrap(client), resume_client


@contextmanager
def stream(
    client: httpx.Client | httpx.Response | Any,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: httpx.Client | Any | None = None,
    strict: bool = False,
    types: Collection[str] | None = None,
    errors: ErrorMode = "raise",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    **request_kwargs: Any,
) -> Iterator[EventStream]:
    """Open a streaming request and yield its typed events.

    ``with stream(client, "POST", url, json=body) as events:`` sends the
    request with ``Accept: text/event-stream`` (other keyword arguments go to
    ``httpx.Client.build_request``; ``auth`` and ``follow_redirects`` to
    ``send``) and yields an ``EventStream``. The response is closed when the
    block exits.

    Instead of a client, pass an already-open ``httpx.Response`` or the raw
    response of the openai SDK's ``with_streaming_response`` (and no method or
    URL); give ``resume_client`` to let such a stream resume.

    Raises ``UnexpectedResponseError`` (status, content type, start of the
    body) when the answer is not an event stream. A dropped connection is
    resumed per ``resume`` (``True``: the default ``Resume()`` policy;
    ``False``: off, a drop raises ``ConnectionLostError``). ``api``,
    ``strict``, ``types``, ``errors`` and the limits are as for
    ``iter_events``.
    """
    session = _session(api, resume, strict, types, errors, max_event_bytes, max_idle_lines)
    request, send, response, reconnect_with = _target(
        client, httpx.Client, method, url, request_kwargs, resume_client
    )
    opened = None
    if request is not None:
        opened = response = reconnect_with.send(request, stream=True, **send)
    if _is_error_status(response):
        error = _check(response, _head_sync(response))
        assert error is not None
        raise error
    if reconnect_with is None:
        session.policy = None  # nothing to reconnect with
    events = EventStream(session, response, reconnect_with, send)
    try:
        yield events
    finally:
        events.close()
        if opened is not None:
            opened.close()


@asynccontextmanager
async def astream(
    client: httpx.AsyncClient | httpx.Response | Any,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: httpx.AsyncClient | Any | None = None,
    strict: bool = False,
    types: Collection[str] | None = None,
    errors: ErrorMode = "raise",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    **request_kwargs: Any,
) -> AsyncIterator[AsyncEventStream]:
    """Async twin of ``stream`` for ``httpx.AsyncClient`` (or an open async
    response, or the openai SDK's async raw response)."""
    session = _session(api, resume, strict, types, errors, max_event_bytes, max_idle_lines)
    request, send, response, reconnect_with = _target(
        client, httpx.AsyncClient, method, url, request_kwargs, resume_client
    )
    opened = None
    if request is not None:
        opened = response = await reconnect_with.send(request, stream=True, **send)
    if _is_error_status(response):
        error = _check(response, await _head_async(response))
        assert error is not None
        raise error
    if reconnect_with is None:
        session.policy = None  # nothing to reconnect with
    events = AsyncEventStream(session, response, reconnect_with, send)
    try:
        yield events
    finally:
        await events.aclose()
        if opened is not None:
            await opened.aclose()


def reduce(
    client: httpx.Client | httpx.Response | Any,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: httpx.Client | Any | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    **request_kwargs: Any,
) -> Final:
    """Send a streaming request and fold its events into the final object.

    Arguments are those of ``stream`` plus ``strict`` and ``verify`` of
    ``streamkit.reduce``. Every error raised after the first event carries
    the object folded so far on ``partial``; a resumed stream folds into the
    same reduction.
    """
    driver = _Driver(api, strict, verify)
    with stream(
        client,
        method,
        url,
        api=api,
        resume=resume,
        resume_client=resume_client,
        errors="yield",
        max_event_bytes=max_event_bytes,
        max_idle_lines=max_idle_lines,
        **request_kwargs,
    ) as events:
        driver.detected = lambda: events.api
        return driver.fold(events)


async def areduce(
    client: httpx.AsyncClient | httpx.Response | Any,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: httpx.AsyncClient | Any | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    **request_kwargs: Any,
) -> Final:
    """Async twin of ``reduce``."""
    driver = _Driver(api, strict, verify)
    async with astream(
        client,
        method,
        url,
        api=api,
        resume=resume,
        resume_client=resume_client,
        errors="yield",
        max_event_bytes=max_event_bytes,
        max_idle_lines=max_idle_lines,
        **request_kwargs,
    ) as events:
        driver.detected = lambda: events.api
        return await driver.afold(events)
