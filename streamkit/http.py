"""Streaming HTTP requests with httpx: typed events, final objects, resume.

``stream`` / ``astream`` open a request and yield its typed events;
``reduce`` / ``areduce`` return the final object. Responses streams are
resumed after a dropped connection by default (see ``Resume``);
``idle_timeout`` bounds the wait for the next event, whatever bytes arrive
meanwhile. The errors raised here (``UnexpectedResponseError``,
``ConnectionLostError``, ...) live in ``streamkit.errors`` with every other
streamkit error.

The helpers take an ``httpx`` client, an open ``httpx.Response`` or the raw
streaming response of the openai SDK (whose HTTP response comes from the SDK's
own copy of httpx). The protocols below say what they use of each, so any
object of that shape works.

The sync and async twins share everything but the I/O calls: ``_Session``
holds the decoders and the resume state and decides what to do next; the two
loops only read, sleep and reconnect.
"""

from __future__ import annotations

import contextlib
import math
import random
import re
import sys
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Collection,
    Generator,
    Iterator,
    Mapping,
)
from contextlib import aclosing, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, overload, runtime_checkable

import anyio
import httpx
import msgspec

from streamkit.errors import (
    ConnectionLostError,
    ResumeFailedError,
    StreamError,
    StreamIntegrityError,
    StreamTimeoutError,
    UnexpectedResponseError,
)
from streamkit.events._decoder import API, ErrorMode, Event, EventDecoder
from streamkit.events._names import event_type
from streamkit.events.messages import PingEvent
from streamkit.events.responses import ResponseKeepaliveEvent
from streamkit.io._reduce import Final, _Driver
from streamkit.models.chat import ChatCompletion
from streamkit.models.completions import Completion
from streamkit.models.messages import Message
from streamkit.models.responses import Response
from streamkit.sse._decoder import DEFAULT_MAX_EVENT_BYTES, SSEDecoder

__all__ = [
    "Resume",
    "EventStream",
    "AsyncEventStream",
    "stream",
    "astream",
    "reduce",
    "areduce",
    "StreamingRequest",
    "ResponseHead",
    "StreamingResponse",
    "AsyncStreamingResponse",
    "RawResponse",
    "AsyncRawResponse",
    "SyncClient",
    "AsyncClient",
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
# Events that only keep the connection busy: they do not reset the idle clock.
_KEEPALIVE = frozenset({PingEvent, ResponseKeepaliveEvent})

RequestT = TypeVar("RequestT")


# --------------------------------------------------------------------------- #
# What the helpers use of requests, responses and clients
# --------------------------------------------------------------------------- #


class _MultiItems(Protocol):
    def multi_items(self) -> list[tuple[str, str]]: ...


class StreamingRequest(Protocol):
    """The request of a streaming response, as a resume reads it to build
    the next one (``httpx.Request`` has this shape)."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> object: ...  # only its text is used
    @property
    def headers(self) -> _MultiItems: ...
    @property
    def extensions(self) -> Mapping[str, object]: ...
    @property
    def content(self) -> bytes: ...


@runtime_checkable
class ResponseHead(Protocol):
    """The status, headers and request of an HTTP response."""

    @property
    def status_code(self) -> int: ...
    @property
    def reason_phrase(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def request(self) -> StreamingRequest: ...


@runtime_checkable
class StreamingResponse(ResponseHead, Protocol):
    """A streaming HTTP response read synchronously: ``httpx.Response``, or
    the HTTP response inside the openai SDK's raw response."""

    def iter_bytes(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


@runtime_checkable
class AsyncStreamingResponse(ResponseHead, Protocol):
    """Async twin of ``StreamingResponse``."""

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...
    async def aclose(self) -> None: ...


@runtime_checkable
class RawResponse(Protocol):
    """A wrapper of a streaming response: the openai SDK's
    ``with_streaming_response`` gives one."""

    @property
    def http_response(self) -> StreamingResponse: ...


@runtime_checkable
class AsyncRawResponse(Protocol):
    """Async twin of ``RawResponse``."""

    @property
    def http_response(self) -> AsyncStreamingResponse: ...


class SyncClient(Protocol[RequestT]):
    """A client that reconnects a stream: ``httpx.Client`` (or the client of
    the openai SDK's own httpx) given as ``resume_client``. ``RequestT`` is
    its request type, opaque to streamkit."""

    def build_request(
        self,
        method: str,
        url: str,
        *,
        headers: list[tuple[str, str]],
        content: bytes | None,
        extensions: dict[str, object],
    ) -> RequestT: ...

    def send(self, request: RequestT, *, stream: bool = ...) -> StreamingResponse: ...


class AsyncClient(Protocol[RequestT]):
    """Async twin of ``SyncClient`` (``httpx.AsyncClient``)."""

    def build_request(
        self,
        method: str,
        url: str,
        *,
        headers: list[tuple[str, str]],
        content: bytes | None,
        extensions: dict[str, object],
    ) -> RequestT: ...

    async def send(self, request: RequestT, *, stream: bool = ...) -> AsyncStreamingResponse: ...


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

    A resumed stream must continue the one before the drop. Events it sends
    again (a sequence number at or below the last one delivered; for other
    streams, an SSE id that is a number at or below the last one, while the
    ids so far were ascending numbers) are dropped. An event that contradicts
    what was received raises ``StreamIntegrityError`` naming what changed, and
    the stream is not resumed again: a different response id, an output index
    whose item id changed, or a first new event whose number skips ahead of
    the last one delivered (the events between are lost; checked while the
    numbers so far were consecutive). The reducing helpers keep the object
    folded before that event on ``partial``. SSE ids that are not ascending
    numbers tell nothing of order: such a server is trusted to resume where
    ``Last-Event-ID`` says.

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
    extensions: dict[str, object]

    def build(self, client: SyncClient[RequestT] | AsyncClient[RequestT]) -> RequestT:
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
        idle_timeout: float | None = None,
        lossless: bool = False,
    ) -> None:
        if idle_timeout is not None and not idle_timeout > 0:
            raise ValueError("idle_timeout must be > 0 seconds (or None)")
        self.decoder = EventDecoder(
            api, strict=strict, types=types, errors=errors, lossless=lossless
        )
        self.policy = resume
        self.max_event_bytes = max_event_bytes
        self.max_idle_lines = max_idle_lines
        self.idle_timeout = idle_timeout
        self._deadline = math.inf  # monotonic time the next real event is due by
        self._fresh = False  # a real event arrived since the last idle check
        self.response_id: str | None = None
        self.last_sequence_number: int | None = None
        self.last_event_id = ""
        self.retry: int | None = None
        self.complete = False
        self.errored = False
        self.resumes = 0
        self.attempts = 0
        self.last_type: str | None = None
        self._sse: SSEDecoder | None = None
        self._origin: StreamingRequest | None = None
        # What a resumed connection is checked against (see Resume): the next
        # new event is the first after a reconnection; the numbering so far.
        self._boundary = False
        self._consecutive = True  # each sequence number one more than the last
        self._items: dict[int, str] = {}  # Responses: output index -> item id
        self._id_number: int | None = None  # last SSE id, while ids ascend as numbers
        self._ids_ordered = True  # every SSE id so far a number above the one before
        self._ids_consecutive = True

    def connection(self, request: StreamingRequest) -> SSEDecoder:
        """A fresh SSE decoder for a new connection (an event cut by the drop
        is discarded with the old one, as the SSE rules require). The idle
        clock starts again: a reconnection is not idleness."""
        if self._origin is None:
            self._origin = request
        else:
            self._boundary = True
        self._end_connection()
        if self.idle_timeout is not None:
            self._deadline = time.monotonic() + self.idle_timeout
            self._fresh = False
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
                if event is not None and self._accept(event, frame.id):
                    out.append(event)
        except StreamError as exc:
            return out, exc
        return out, None

    def _accept(self, event: Event, event_id: str) -> bool:
        seq = getattr(event, "sequence_number", None)
        if not isinstance(seq, int):
            seq = None
        responses = self.decoder.api == "responses"
        if self.resumes and self._replayed(event, seq, event_id, responses):
            return False
        self._boundary = False
        if seq is not None:
            last = self.last_sequence_number
            if last is not None and seq != last + 1:
                self._consecutive = False
            self.last_sequence_number = seq
        if event_id and self._ids_ordered:
            self._number(event_id)
        if responses:
            index, item_id = _item_at(event)
            if index is not None and item_id is not None:
                self._items.setdefault(index, item_id)
        if event.__class__ not in _KEEPALIVE:
            self._fresh = True
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

    def _replayed(self, event: Event, seq: int | None, event_id: str, responses: bool) -> bool:
        """On a resumed connection: True for an event delivered before (a
        replay, dropped); raises ``StreamIntegrityError`` for one that
        contradicts what came before the drop."""
        if responses:
            rid = getattr(getattr(event, "response", None), "id", None)
            if isinstance(rid, str) and rid and self.response_id and rid != self.response_id:
                raise self._contradiction(
                    event, f"response id {rid!r} instead of {self.response_id!r}"
                )
            index, item_id = _item_at(event)
            known = self._items.get(index) if index is not None else None
            if known is not None and item_id is not None and item_id != known:
                raise self._contradiction(
                    event, f"output {index} is item {item_id!r}, before the drop {known!r}"
                )
        last = self.last_sequence_number
        if seq is not None and last is not None:
            if seq <= last:
                return True
            if self._boundary and self._consecutive and seq != last + 1:
                raise self._contradiction(
                    event, f"sequence_number {seq} follows {last}: {_missing(last, seq)}"
                )
        elif seq is None and self._ids_ordered and self._id_number is not None:
            number = _as_number(event_id)
            if number is None:
                self._ids_ordered = False  # no longer checkable
            elif number <= self._id_number:
                return True
            elif self._boundary and self._ids_consecutive and number != self._id_number + 1:
                raise self._contradiction(
                    event,
                    f"event id {event_id!r} follows {str(self._id_number)!r}: "
                    f"{_missing(self._id_number, number)}",
                )
        return False

    def _number(self, event_id: str) -> None:
        number = _as_number(event_id)
        last = self._id_number
        if number is None or (last is not None and number <= last):
            self._ids_ordered, self._id_number = False, None
            return
        if last is not None and number != last + 1:
            self._ids_consecutive = False
        self._id_number = number

    def _contradiction(self, event: Event, what: str) -> StreamIntegrityError:
        return StreamIntegrityError(
            f"the resumed stream contradicts the one before the drop: {what}",
            index=self.decoder.index - 1,
            event_type=event_type(event),
        )

    def idle_check(self) -> None:
        """After the events of a chunk were delivered: restart the idle clock
        if one of them was a real event (so the time the consumer spent on
        them does not count), else raise once the deadline has passed."""
        if self.idle_timeout is None:
            return
        now = time.monotonic()
        if self._fresh:
            self._fresh = False
            self._deadline = now + self.idle_timeout
        elif now >= self._deadline:
            raise self.idle_error(None)

    def idle_left(self) -> float:
        """Seconds until the idle deadline (``idle_timeout`` must be set)."""
        return max(0.0, self._deadline - time.monotonic())

    def idle_read_timeout(self, exc: BaseException, request: StreamingRequest) -> bool:
        """Whether a transport error is a read timeout at least as long as
        ``idle_timeout``: that much silence is the idle deadline passing."""
        if self.idle_timeout is None:
            return False
        if not any(c.__name__ == "ReadTimeout" for c in type(exc).__mro__):
            return False
        timeout = request.extensions.get("timeout")
        read = timeout.get("read") if isinstance(timeout, Mapping) else None
        return isinstance(read, int | float) and read >= self.idle_timeout

    def idle_error(self, cause: BaseException | None) -> StreamTimeoutError:
        """The error for a stream that sent no event for ``idle_timeout``."""
        err = StreamTimeoutError(
            f"no event for idle_timeout={self.idle_timeout:g} s (keep-alives do not count); "
            "the stream is not resumed",
            index=self.decoder.index,
            event_type=self.last_type,
        )
        err.__cause__ = cause
        return err

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
        headers = httpx.Headers(origin.headers.multi_items())
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


def _item_at(event: Event) -> tuple[int | None, str | None]:
    """(output index, item id) of a Responses event that names both."""
    index = getattr(event, "output_index", None)
    if not isinstance(index, int):
        return None, None
    item = getattr(event, "item", None)
    item_id = getattr(item, "id", None) if item is not None else getattr(event, "item_id", None)
    return (index, item_id) if isinstance(item_id, str) and item_id else (None, None)


def _as_number(event_id: str) -> int | None:
    return int(event_id) if event_id.isascii() and event_id.isdigit() else None


def _missing(last: int, got: int) -> str:
    """What a skip from ``last`` to ``got`` lost."""
    return (
        f"event {last + 1} is lost" if got == last + 2 else f"events {last + 1}..{got - 1} are lost"
    )


def _check(response: ResponseHead, body: bytes) -> UnexpectedResponseError | None:
    """The error for a response that is not a stream (given the start of its
    body, which the caller read), or None."""
    ctype = response.headers.get("content-type", "")
    status = response.status_code
    if 200 <= status < 300 and (not ctype or _is_sse(ctype)):
        return None
    code = error_type = message = None
    payload: object = None
    # A body that is not JSON (or nests too deep to decode) has no details.
    with contextlib.suppress(msgspec.DecodeError, RecursionError):
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


def _is_error_status(response: ResponseHead) -> bool:
    ctype = response.headers.get("content-type", "")
    return not (200 <= response.status_code < 300 and (not ctype or _is_sse(ctype)))


def _build(
    client: httpx.Client | httpx.AsyncClient,
    method: str | None,
    url: str | httpx.URL | None,
    kwargs: dict[str, Any],
) -> tuple[httpx.Request, dict[str, Any]]:
    """The request to send and its send options (``auth``, ``follow_redirects``)."""
    if method is None or url is None:
        raise TypeError("a client needs a method and a URL: stream(client, method, url)")
    send: dict[str, Any] = {k: kwargs.pop(k) for k in ("auth", "follow_redirects") if k in kwargs}
    headers = httpx.Headers(kwargs.pop("headers", None))
    headers.setdefault("Accept", "text/event-stream")
    return client.build_request(method, url, headers=headers, **kwargs), send


def _bound_read(request: httpx.Request, idle_timeout: float) -> None:
    """Give a request a read timeout no longer than ``idle_timeout``: a sync
    read cannot be interrupted, so this is how a silent connection meets the
    idle deadline (a read timeout that long is that deadline)."""
    timeout = dict(request.extensions.get("timeout") or {})
    read = timeout.get("read")
    if read is None or read > idle_timeout:
        timeout["read"] = idle_timeout
        request.extensions["timeout"] = timeout


def _no_request(method: str | None, url: str | httpx.URL | None, kwargs: dict[str, Any]) -> None:
    if method is not None or url is not None or kwargs:
        raise TypeError("pass a method, URL and request options only with a client")


def _not_a_response(given: object) -> TypeError:
    return TypeError(
        "expected an httpx client, an httpx.Response or an openai raw response, "
        f"not {type(given).__name__}"
    )


def _sync_response(given: StreamingResponse | RawResponse) -> StreamingResponse:
    # The openai SDK's raw streaming responses wrap an HTTP response of
    # httpx's shape (from httpx or from the SDK's own copy of it).
    inner = given.http_response if isinstance(given, RawResponse) else given
    if not isinstance(inner, StreamingResponse):
        raise _not_a_response(given)
    return inner


def _async_response(given: AsyncStreamingResponse | AsyncRawResponse) -> AsyncStreamingResponse:
    inner = given.http_response if isinstance(given, AsyncRawResponse) else given
    if not isinstance(inner, AsyncStreamingResponse):
        raise _not_a_response(given)
    return inner


class _Base:
    """What ``EventStream`` and ``AsyncEventStream`` share: where the stream is."""

    def __init__(self, session: _Session, send: dict[str, Any]) -> None:
        self._session = session
        self._send = send  # send options of the original request, for reconnections

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

    def __init__(
        self,
        session: _Session,
        response: StreamingResponse,
        client: SyncClient[Any] | None,
        send: dict[str, Any],
    ) -> None:
        super().__init__(session, send)
        #: The HTTP response being read (the latest one after a resume).
        self.response = response
        self._client = client  # to reconnect with (None: resuming is off)
        self._opened: list[StreamingResponse] = []
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
                        session.idle_check()
                    session.eof()
                    if session.finished():
                        return
            except transport_errors as exc:
                if session.idle_read_timeout(exc, response.request):
                    raise session.idle_error(exc) from exc
                cause = exc
            else:
                if response.status_code == 204:
                    return
            next_response = self._reconnect(cause)
            if next_response is None:
                return
            response = next_response

    def _reconnect(self, cause: BaseException | None) -> StreamingResponse | None:
        session = self._session
        client = self._client
        while True:
            plan = session.next_request(cause)
            if plan is None or client is None:
                return None
            time.sleep(session.delay())
            try:
                response = client.send(plan.build(client), stream=True, **self._send)
            except _transport_errors(client) as exc:
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


def _head_sync(response: StreamingResponse) -> bytes:
    body = bytearray()
    # The excerpt is best effort: the status already tells the story.
    with contextlib.closing(response), contextlib.suppress(Exception):
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= BODY_EXCERPT:
                break
    return bytes(body[:BODY_EXCERPT])


async def _head_async(response: AsyncStreamingResponse) -> bytes:
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


async def _chunks(
    response: AsyncStreamingResponse, session: _Session
) -> AsyncGenerator[bytes, None]:
    """The response's chunks. With an ``idle_timeout``, each is awaited no
    longer than the idle deadline allows: an async read can be cut short, so
    the deadline is exact."""
    chunks = response.aiter_bytes()
    if session.idle_timeout is None:
        async for chunk in chunks:
            yield chunk
        return
    while True:
        with anyio.move_on_after(session.idle_left()) as scope:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
        if scope.cancelled_caught:
            raise session.idle_error(None)
        yield chunk


class AsyncEventStream(_Base):
    """Async twin of ``EventStream``: iterate it with ``async for``."""

    def __init__(
        self,
        session: _Session,
        response: AsyncStreamingResponse,
        client: AsyncClient[Any] | None,
        send: dict[str, Any],
    ) -> None:
        super().__init__(session, send)
        #: The HTTP response being read (the latest one after a resume).
        self.response = response
        self._client = client  # to reconnect with (None: resuming is off)
        self._opened: list[AsyncStreamingResponse] = []
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
                    async with aclosing(_chunks(response, session)) as chunks:
                        async for chunk in chunks:
                            events, error = session.events(chunk)
                            for event in events:
                                yield event
                            if error is not None:
                                raise error
                            if session.decoder.done:
                                return
                            session.idle_check()
                    session.eof()
                    if session.finished():
                        return
            except transport_errors as exc:
                if session.idle_read_timeout(exc, response.request):
                    raise session.idle_error(exc) from exc
                cause = exc
            else:
                if response.status_code == 204:
                    return
            next_response = await self._reconnect(cause)
            if next_response is None:
                return
            response = next_response

    async def _reconnect(self, cause: BaseException | None) -> AsyncStreamingResponse | None:
        session = self._session
        client = self._client
        while True:
            plan = session.next_request(cause)
            if plan is None or client is None:
                return None
            await anyio.sleep(session.delay())
            try:
                response = await client.send(plan.build(client), stream=True, **self._send)
            except _transport_errors(client) as exc:
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
    idle_timeout: float | None,
    lossless: bool = False,
) -> _Session:
    return _Session(
        api,
        _policy(resume),
        strict,
        types,
        errors,
        max_event_bytes,
        max_idle_lines,
        idle_timeout,
        lossless,
    )


@contextmanager
def stream(
    client: httpx.Client | StreamingResponse | RawResponse,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    types: Collection[str] | None = None,
    errors: ErrorMode = "raise",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
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
    ``strict``, ``types``, ``errors``, ``lossless`` and the limits are as for
    ``iter_events``.

    ``idle_timeout`` (seconds) bounds the wait for the next event, whatever
    arrives meanwhile: keep-alive comments, blank lines, ``ping`` and
    ``keepalive`` events do not count; it starts when the response's headers
    are in and again on each reconnection, and the consumer's own time with an
    event is not counted. When it passes, ``StreamTimeoutError`` is raised,
    without resuming (the connection is alive: reconnecting would only start
    the same wait again). Reads that send nothing at all are bounded too: the
    request sent here gets a read timeout no longer than ``idle_timeout``,
    and a read timeout at least that long counts as the idle deadline (for a
    response passed in, that is its own read timeout).
    """
    session = _session(
        api,
        resume,
        strict,
        types,
        errors,
        max_event_bytes,
        max_idle_lines,
        idle_timeout,
        lossless,
    )
    opened: StreamingResponse | None = None
    response: StreamingResponse
    reconnect_with: SyncClient[Any] | None
    send: dict[str, Any] = {}
    if isinstance(client, httpx.Client):
        request, send = _build(client, method, url, request_kwargs)
        if idle_timeout is not None:
            _bound_read(request, idle_timeout)
        opened = response = client.send(request, stream=True, **send)
        reconnect_with = client
    else:
        _no_request(method, url, request_kwargs)
        response = _sync_response(client)
        reconnect_with = resume_client
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
    client: httpx.AsyncClient | AsyncStreamingResponse | AsyncRawResponse,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    types: Collection[str] | None = None,
    errors: ErrorMode = "raise",
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> AsyncIterator[AsyncEventStream]:
    """Async twin of ``stream`` for ``httpx.AsyncClient`` (or an open async
    response, or the openai SDK's async raw response). Here ``idle_timeout``
    is exact whatever the connection does: each read is cut short at the
    deadline."""
    session = _session(
        api,
        resume,
        strict,
        types,
        errors,
        max_event_bytes,
        max_idle_lines,
        idle_timeout,
        lossless,
    )
    opened: AsyncStreamingResponse | None = None
    response: AsyncStreamingResponse
    reconnect_with: AsyncClient[Any] | None
    send: dict[str, Any] = {}
    if isinstance(client, httpx.AsyncClient):
        request, send = _build(client, method, url, request_kwargs)
        opened = response = await client.send(request, stream=True, **send)
        reconnect_with = client
    else:
        _no_request(method, url, request_kwargs)
        response = _async_response(client)
        reconnect_with = resume_client
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


_SyncTarget = httpx.Client | StreamingResponse | RawResponse
_AsyncTarget = httpx.AsyncClient | AsyncStreamingResponse | AsyncRawResponse


@overload
def reduce(
    client: _SyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["responses"],
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Response: ...
@overload
def reduce(
    client: _SyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["chat"],
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> ChatCompletion: ...
@overload
def reduce(
    client: _SyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["completions"],
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Completion: ...
@overload
def reduce(
    client: _SyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["messages"],
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Message: ...
@overload
def reduce(
    client: _SyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Final: ...
def reduce(
    client: _SyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: SyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Final:
    """Send a streaming request and fold its events into the final object.

    Arguments are those of ``stream`` plus ``strict`` and ``verify`` of
    ``streamkit.reduce``; ``api`` decides the type of the result, as there.
    Every error raised after the first event carries the object folded so
    far on ``partial``; a resumed stream folds into the same reduction.
    """
    driver = _Driver(api, strict, verify, lossless=lossless)
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
        idle_timeout=idle_timeout,
        lossless=lossless,
        **request_kwargs,
    ) as events:
        driver.detected = lambda: events.api
        return driver.fold(events)


@overload
async def areduce(
    client: _AsyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["responses"],
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Response: ...
@overload
async def areduce(
    client: _AsyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["chat"],
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> ChatCompletion: ...
@overload
async def areduce(
    client: _AsyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["completions"],
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Completion: ...
@overload
async def areduce(
    client: _AsyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: Literal["messages"],
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Message: ...
@overload
async def areduce(
    client: _AsyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Final: ...
async def areduce(
    client: _AsyncTarget,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    *,
    api: API = "auto",
    resume: bool | Resume = True,
    resume_client: AsyncClient[Any] | None = None,
    strict: bool = False,
    verify: bool = False,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
    idle_timeout: float | None = None,
    lossless: bool = False,
    **request_kwargs: Any,
) -> Final:
    """Async twin of ``reduce``."""
    driver = _Driver(api, strict, verify, lossless=lossless)
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
        idle_timeout=idle_timeout,
        lossless=lossless,
        **request_kwargs,
    ) as events:
        driver.detected = lambda: events.api
        return await driver.afold(events)
