"""Byte sources → final objects: events folded by the reducer of their API."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Literal, overload

from streamkit._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
from streamkit.errors import (
    APIStreamError,
    IncompleteStreamError,
    StreamError,
    TruncatedStreamError,
)
from streamkit.events._decoder import API, Event, EventDecoder
from streamkit.events.chat import ChatCompletionChunk
from streamkit.events.completions import CompletionChunk
from streamkit.events.messages import MESSAGE_EVENT_CLASSES
from streamkit.events.responses import RESPONSE_EVENT_CLASSES
from streamkit.io._events import aiter_events, iter_events
from streamkit.io._sources import AsyncByteSource, ByteSource, framing_decoder
from streamkit.models.chat import ChatCompletion
from streamkit.models.completions import Completion
from streamkit.models.messages import Message
from streamkit.models.responses import Response
from streamkit.reducers._base import Reducer
from streamkit.reducers._finished import Finished
from streamkit.reducers.chat import ChatCompletionReducer
from streamkit.reducers.completions import CompletionReducer
from streamkit.reducers.messages import MessageReducer
from streamkit.reducers.responses import ResponseReducer

__all__ = ["reduce", "areduce", "reducer_for", "iter_finished"]

Final = Response | ChatCompletion | Completion | Message

# Event class -> the API whose streams it belongs to.
_CLASS_API: dict[type[Any], API] = {
    **dict.fromkeys(RESPONSE_EVENT_CLASSES.values(), "responses"),
    **dict.fromkeys(MESSAGE_EVENT_CLASSES.values(), "messages"),
    ChatCompletionChunk: "chat",
    CompletionChunk: "completions",
}


@overload
def reducer_for(api: Literal["responses"], *, verify: bool = False) -> ResponseReducer: ...
@overload
def reducer_for(api: Literal["chat"], *, verify: bool = False) -> ChatCompletionReducer: ...
@overload
def reducer_for(api: Literal["completions"], *, verify: bool = False) -> CompletionReducer: ...
@overload
def reducer_for(api: Literal["messages"], *, verify: bool = False) -> MessageReducer: ...
@overload
def reducer_for(api: API, *, verify: bool = False) -> Reducer[Any, Final]: ...
def reducer_for(api: API, *, verify: bool = False) -> Reducer[Any, Any]:
    """A fresh reducer of the final object of ``api`` (``verify``: Responses only)."""
    if api == "responses":
        return ResponseReducer(verify=verify)
    if api == "chat":
        return ChatCompletionReducer()
    if api == "completions":
        return CompletionReducer()
    if api == "messages":
        return MessageReducer()
    raise ValueError(f"no reducer for api={api!r}")


def _api_of(event: Event, api: API, detected: API = "auto") -> API:
    """The API of a stream: ``api`` when given, else what the event decoder
    detected (``detected``), else the API of the first event's class. A stream
    whose first payloads decided nothing (``[DONE]`` or an ``{"error": ...}``
    payload alone) is taken as Chat."""
    if api != "auto":
        return api
    if detected != "auto":
        return detected
    return _CLASS_API.get(type(event), "chat")


class _Driver:
    """Shared by the reducing functions: picks the reducer on the first event,
    finishes, and applies ``strict``.

    ``sse`` is the SSE decoder reading the bytes, when the caller has one: a
    strict-mode error then says at which byte offset the reading stopped.
    Input that is not an event stream never gets here: the event iterators
    raise ``NotEventStreamError`` for it, so no object is made up for it.
    """

    __slots__ = ("api", "detected", "reducer", "sse", "strict", "verify")

    def __init__(
        self,
        api: API,
        strict: bool,
        verify: bool,
        sse: SSEDecoder | None = None,
        detected: Callable[[], API] | None = None,
    ) -> None:
        self.api = api
        self.strict = strict
        self.verify = verify
        self.sse = sse
        #: Reads the API the event decoder detected (when the caller has it).
        self.detected = detected
        self.reducer: Reducer[Any, Any] | None = None

    def first(self, event: Event) -> Reducer[Any, Any]:
        detected = self.detected() if self.detected is not None else "auto"
        self.reducer = reducer_for(_api_of(event, self.api, detected), verify=self.verify)
        return self.reducer

    def finish(self) -> Final:
        if self.reducer is None:
            # An event stream that ended before its first event (keep-alive
            # comments only): its API is unknown; the verdict says truncated.
            self.reducer = reducer_for("chat" if self.api == "auto" else self.api)
        result: Final = self.reducer.finish()
        if self.strict:
            _check(result, None if self.sse is None else self.sse.bytes_fed)
        return result

    def failed(self, exc: StreamError) -> None:
        if self.reducer is not None:
            exc.partial = self.reducer.finish()

    def fold(self, events: Iterable[Event]) -> Final:
        """Fold every event, then finish; a ``StreamError`` gets ``partial``."""
        events = iter(events)
        try:
            for event in events:
                step = self.first(event).step
                step(event)
                for event in events:
                    step(event)
        except StreamError as exc:
            self.failed(exc)
            raise
        return self.finish()

    async def afold(self, events: AsyncIterable[Event]) -> Final:
        """Async twin of ``fold``."""
        step = None
        try:
            async for event in events:
                if step is None:
                    step = self.first(event).step
                step(event)
        except StreamError as exc:
            self.failed(exc)
            raise
        return self.finish()


def _check(result: Final, offset: int | None) -> None:
    """Strict mode: raise unless the verdict is ``completed``. The error is about
    how the stream ended: ``index`` is the number of events folded, ``offset``
    the number of bytes read."""
    verdict = result.verdict
    if verdict is None or verdict.status == "completed":
        return
    index = verdict.events
    error: StreamError
    if verdict.status in ("failed", "errored"):
        err = verdict.error
        error = APIStreamError(
            str(_field(err, "message") or verdict.status),
            code=_field(err, "code"),
            param=_field(err, "param"),
            type=_field(err, "type"),
            event=err,
            index=index,
            event_type=verdict.status,
            offset=offset,
        )
    elif verdict.status == "incomplete":
        error = IncompleteStreamError(
            f"stream incomplete: {verdict.reason}", verdict=verdict, index=index, offset=offset
        )
    elif verdict.status == "unterminated":
        # The bytes ended before the end-of-stream marker: a cut stream, even if
        # the content itself is complete.
        error = TruncatedStreamError(
            "stream unterminated: every choice finished, but the bytes ended without "
            "[DONE] (a usage chunk sent after the last finish_reason may be lost)",
            verdict=verdict,
            index=index,
            offset=offset,
        )
    else:
        last = verdict.last_sequence_number
        where = f" after sequence_number {last}" if last is not None else ""
        error = TruncatedStreamError(
            f"stream ended before its terminal event{where}",
            verdict=verdict,
            index=index,
            offset=offset,
        )
    error.partial = result
    raise error


def _field(obj: Any, name: str) -> Any:
    value = getattr(obj, name, None)
    return None if value is None or type(value).__name__ == "UnsetType" else value


@overload
def reduce(
    source: ByteSource,
    api: Literal["responses"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Response: ...
@overload
def reduce(
    source: ByteSource,
    api: Literal["chat"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> ChatCompletion: ...
@overload
def reduce(
    source: ByteSource,
    api: Literal["completions"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Completion: ...
@overload
def reduce(
    source: ByteSource,
    api: Literal["messages"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Message: ...
@overload
def reduce(
    source: ByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Final: ...
def reduce(
    source: ByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Final:
    """Fold a whole stream into its final object.

    Returns a ``Response`` (Responses API), ``ChatCompletion``, ``Completion``
    or ``Message`` (Anthropic Messages API) whose ``.verdict`` says how the
    stream ended (completed, incomplete, failed, errored, truncated,
    unterminated); ``api="auto"`` detects the API from the first payload.
    With ``strict=True`` anything but completed raises (``TruncatedStreamError`` for truncated and
    unterminated, ``IncompleteStreamError`` or ``APIStreamError``), with the
    object so far on the error's ``partial``. A decoding error also carries
    ``partial``; every error says where it happened (``index``, and ``offset``:
    the byte offset of the event, or for a strict-mode verdict the bytes
    read). Input that is not an event stream raises ``NotEventStreamError``
    (no object). ``verify=True`` (Responses) compares the fold with the
    server's final object; see ``ResponseReducer.divergences``.
    """
    sse = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    dec = EventDecoder(api, errors="yield")
    driver = _Driver(api, strict, verify, sse, lambda: dec.api)
    events: Iterator[Event] = iter_events(source, decoder=sse, event_decoder=dec)
    return driver.fold(events)


@overload
async def areduce(
    source: AsyncByteSource,
    api: Literal["responses"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Response: ...
@overload
async def areduce(
    source: AsyncByteSource,
    api: Literal["chat"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> ChatCompletion: ...
@overload
async def areduce(
    source: AsyncByteSource,
    api: Literal["completions"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Completion: ...
@overload
async def areduce(
    source: AsyncByteSource,
    api: Literal["messages"],
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Message: ...
@overload
async def areduce(
    source: AsyncByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Final: ...
async def areduce(
    source: AsyncByteSource,
    api: API = "auto",
    *,
    strict: bool = False,
    verify: bool = False,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Final:
    """Async twin of ``reduce`` over any async (or sync) byte source."""
    sse = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    dec = EventDecoder(api, errors="yield")
    driver = _Driver(api, strict, verify, sse, lambda: dec.api)
    events: AsyncIterator[Event] = aiter_events(source, decoder=sse, event_decoder=dec)
    return await driver.afold(events)


def iter_finished(
    source: ByteSource,
    api: API = "auto",
    *,
    decoder: SSEDecoder | None = None,
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    max_idle_lines: int | None = None,
) -> Iterator[Finished]:
    """Yield high-level "just finished" events (text, refusal, tool call with
    parsed arguments, item, reasoning summary, Messages thinking block) as the
    fold completes them — each once, in stream order, never before its done or
    finish signal."""
    dec = EventDecoder(api, errors="yield")
    driver = _Driver(api, False, False, detected=lambda: dec.api)
    take: Any = None
    for event in iter_events(
        source,
        decoder=decoder,
        max_event_bytes=max_event_bytes,
        max_idle_lines=max_idle_lines,
        event_decoder=dec,
    ):
        if take is None:
            reducer = driver.first(event)
            step, take = reducer.step, reducer.take_finished  # type: ignore[attr-defined]
        step(event)
        yield from take()
    if take is not None:
        driver.finish()
        yield from take()
