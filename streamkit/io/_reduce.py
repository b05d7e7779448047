"""Byte sources → final objects: events folded by the reducer of their API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, overload

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
from streamkit.reducers._extras import FinalExtras
from streamkit.reducers._finished import Finished
from streamkit.reducers._integrity import IntegrityPolicy
from streamkit.reducers.chat import ChatCompletionReducer
from streamkit.reducers.completions import CompletionReducer
from streamkit.reducers.messages import MessageReducer
from streamkit.reducers.responses import ResponseReducer
from streamkit.sse._decoder import DEFAULT_MAX_EVENT_BYTES, SSEDecoder

__all__ = ["reduce", "areduce", "reducer_for", "iter_finished"]

Final = Response | ChatCompletion | Completion | Message

# Event class -> the API whose streams it belongs to.
#: Events that tell nothing of the API (``[DONE]``, error payloads) held back
#: before the reducer is chosen, at most.
_HOLD = 64
_CLASS_API: dict[type[Any], API] = {
    **dict.fromkeys(RESPONSE_EVENT_CLASSES.values(), "responses"),
    **dict.fromkeys(MESSAGE_EVENT_CLASSES.values(), "messages"),
    ChatCompletionChunk: "chat",
    CompletionChunk: "completions",
}


@overload
def reducer_for(
    api: Literal["responses"], *, verify: bool = False, policy: IntegrityPolicy = "warn"
) -> ResponseReducer: ...
@overload
def reducer_for(
    api: Literal["chat"], *, verify: bool = False, policy: IntegrityPolicy = "warn"
) -> ChatCompletionReducer: ...
@overload
def reducer_for(
    api: Literal["completions"], *, verify: bool = False, policy: IntegrityPolicy = "warn"
) -> CompletionReducer: ...
@overload
def reducer_for(
    api: Literal["messages"], *, verify: bool = False, policy: IntegrityPolicy = "warn"
) -> MessageReducer: ...
@overload
def reducer_for(
    api: API, *, verify: bool = False, policy: IntegrityPolicy = "warn"
) -> Reducer[Any, Final]: ...
def reducer_for(
    api: API, *, verify: bool = False, policy: IntegrityPolicy = "warn"
) -> Reducer[Any, Any]:
    """A fresh reducer of the final object of ``api`` (``verify``: Responses only).

    ``policy`` is the reducer's integrity policy (every one it has: Responses
    sequence numbers and indices, the others' indices): ``"ignore"`` for a
    caller that reads the findings off the reducer itself.
    """
    if api == "responses":
        return ResponseReducer(verify=verify, sequence_policy=policy, index_policy=policy)
    if api == "chat":
        return ChatCompletionReducer(index_policy=policy)
    if api == "completions":
        return CompletionReducer(index_policy=policy)
    if api == "messages":
        return MessageReducer(index_policy=policy)
    raise ValueError(f"no reducer for api={api!r}")


def _api_of(event: Event, api: API, detected: API = "auto") -> API:
    """The API of a stream: ``api`` when given, else the API of the first
    event's class, else what the event decoder detected (``detected``). A
    stream whose first payloads decided nothing (``[DONE]`` or an
    ``{"error": ...}`` payload alone) is taken as Chat.

    The class comes first: the event decoder may have read ahead of the first
    event (all the frames of one network read are decoded together) and
    changed its mind on a later payload, so ``detected`` alone would make the
    choice depend on the chunking."""
    if api != "auto":
        return api
    by_class = _CLASS_API.get(type(event))
    if by_class is not None:
        return by_class
    return detected if detected != "auto" else "chat"


class _Driver:
    """Shared by the reducing functions: picks the reducer on the first event,
    finishes, and applies ``strict``.

    ``sse`` is the SSE decoder reading the bytes, when the caller has one: a
    strict-mode error then says at which byte offset the reading stopped.
    Input that is not an event stream never gets here: the event iterators
    raise ``NotEventStreamError`` for it, so no object is made up for it.
    """

    __slots__ = (
        "api",
        "detected",
        "extras",
        "folded",
        "held",
        "policy",
        "reducer",
        "sse",
        "strict",
        "verify",
    )

    def __init__(
        self,
        api: API,
        strict: bool,
        verify: bool,
        sse: SSEDecoder | None = None,
        detected: Callable[[], API] | None = None,
        policy: IntegrityPolicy = "warn",
        lossless: bool = False,
    ) -> None:
        self.api = api
        #: Lossless mode: the final object's extra fields, from the events.
        self.extras = FinalExtras() if lossless else None
        self.strict = strict
        self.verify = verify
        self.sse = sse
        #: Reads the API the event decoder detected (when the caller has it).
        self.detected = detected
        self.policy: IntegrityPolicy = policy
        self.reducer: Reducer[Any, Any] | None = None
        #: The API of the reducer, once there is one.
        self.folded: API = api
        #: Events before the first one that tells the API (see ``_begin``).
        self.held: list[Event] = []

    def first(self, event: Event) -> Reducer[Any, Any]:
        detected = self.detected() if self.detected is not None else "auto"
        self.folded = _api_of(event, self.api, detected)
        self.reducer = reducer_for(self.folded, verify=self.verify, policy=self.policy)
        return self.reducer

    def finish(self) -> Final:
        if self.reducer is None:
            # An event stream that ended before its first event (keep-alive
            # comments only): its API is unknown; the verdict says truncated.
            self.folded = "chat" if self.api == "auto" else self.api
            self.reducer = reducer_for(self.folded, verify=self.verify, policy=self.policy)
        result: Final = self.reducer.finish()
        if self.extras is not None:
            self.extras.apply(result)
        if self.strict:
            _check(result, None if self.sse is None else self.sse.bytes_fed)
        return result

    def failed(self, exc: StreamError) -> None:
        if self.reducer is not None:
            exc.partial = self.reducer.finish()
            if self.extras is not None:
                self.extras.apply(exc.partial)

    def _begin(self, event: Event) -> Callable[[Event], Any] | None:
        """Pick the reducer at the first event that decides the API and fold
        the events held before it; None while the event is held."""
        if self.api == "auto" and type(event) not in _CLASS_API and len(self.held) < _HOLD:
            # [DONE] or an error payload decides nothing: wait for an event
            # that does, so that the choice never depends on how far the event
            # decoder has read ahead.
            self.held.append(event)
            return None
        step = self.first(event).step
        for held in self.held:
            step(held)
        self.held.clear()
        step(event)
        return step

    def _flush(self) -> None:
        # The stream ended (or failed) before an event decided the API: by
        # then the event decoder has read everything there was to read.
        if self.reducer is None and self.held:
            held, self.held = self.held, []
            step = self.first(held[0]).step
            for event in held:
                step(event)

    def fold(self, events: Iterable[Event]) -> Final:
        """Fold every event, then finish; a ``StreamError`` gets ``partial``."""
        if self.extras is not None:
            events = self.extras.watch(events)
        events = iter(events)
        try:
            for event in events:
                step = self._begin(event)
                if step is None:
                    continue
                for event in events:
                    step(event)
            self._flush()
        except StreamError as exc:
            with contextlib.suppress(StreamError):
                self._flush()
            self.failed(exc)
            raise
        return self.finish()

    async def afold(self, events: AsyncIterable[Event]) -> Final:
        """Async twin of ``fold``."""
        if self.extras is not None:
            events = self.extras.awatch(events)
        step = None
        try:
            async for event in events:
                if step is None:
                    step = self._begin(event)
                else:
                    step(event)
            self._flush()
        except StreamError as exc:
            with contextlib.suppress(StreamError):
                self._flush()
            self.failed(exc)
            raise
        return self.finish()


def _check(result: Final, offset: int | None) -> None:
    """Strict mode: raise unless the verdict is ``completed``. The error is about
    how the stream ended (its message is ``Verdict.describe()``'s, a server's
    error its own): ``index`` is the number of events folded, ``offset`` the
    number of bytes read."""
    verdict = result.verdict
    if verdict.status == "completed":
        return
    index = verdict.events
    error: StreamError
    if verdict.status in ("failed", "errored"):
        err = verdict.error
        error = APIStreamError(
            (err.message if err is not None else None) or verdict.status,
            code=err.code if err is not None else None,
            param=err.param if err is not None else None,
            type=err.type if err is not None else None,
            event=err,
            index=index,
            event_type=verdict.status,
            offset=offset,
        )
    elif verdict.status == "incomplete":
        error = IncompleteStreamError(
            verdict.describe(), verdict=verdict, index=index, offset=offset
        )
    else:
        # Truncated, or unterminated: the bytes ended before the end-of-stream
        # marker, a cut stream even if the content itself is complete.
        error = TruncatedStreamError(
            verdict.describe(), verdict=verdict, index=index, offset=offset
        )
    error.partial = result
    raise error


@dataclass
class Folded:
    """What ``fold_stream`` found in one pass over a stream."""

    #: The API folded (``chat`` for a stream without events when none was given).
    api: API
    #: The final object; after an error, the object folded before it.
    result: Final
    #: The reducer that folded it (its integrity findings, divergences, state).
    reducer: Reducer[Any, Any]
    #: The error that ended the pass early, if any.
    error: BaseException | None
    #: Bytes read.
    bytes: int

    @property
    def events(self) -> int:
        """Events folded: 0 when the pass ended before the first one."""
        return self.result.verdict.events


def _tap(events: Iterable[Event], on_event: Callable[[Event], None]) -> Iterator[Event]:
    for event in events:
        yield event
        # Resumed when the next event is wanted: after this one was folded and
        # before more bytes are read.
        on_event(event)


def fold_stream(
    source: ByteSource,
    api: API = "auto",
    *,
    verify: bool = False,
    policy: IntegrityPolicy = "warn",
    on_event: Callable[[Event], None] | None = None,
    stop_on: type[BaseException] | tuple[type[BaseException], ...] = StreamError,
) -> Folded:
    """The fold of ``reduce`` (same reducer, same result), for callers that
    want more than the final object and never an exception about the stream.

    ``on_event`` sees every event once the reducer has folded it. An exception
    of a ``stop_on`` class (a ``StreamError`` by default; ``on_event``'s
    included) ends the pass and is returned as ``error``, with the object
    folded before it; others propagate. ``policy`` is the reducer's integrity
    policy (see ``reducer_for``).
    """
    sse = SSEDecoder()
    dec = EventDecoder(api, errors="yield")
    driver = _Driver(api, False, verify, sse, lambda: dec.api, policy)
    events: Iterator[Event] = iter_events(source, decoder=sse, event_decoder=dec)
    if on_event is not None:
        events = _tap(events, on_event)
    failure: BaseException | None = None
    try:
        result = driver.fold(events)
    except stop_on as exc:
        failure = exc
        partial: Any = exc.partial if isinstance(exc, StreamError) else None
        result = partial if partial is not None else driver.finish()
    assert driver.reducer is not None  # finish() made one
    return Folded(
        api=driver.folded, result=result, reducer=driver.reducer, error=failure, bytes=sse.bytes_fed
    )


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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    ``lossless=True`` gives the final object the fields of the server's final
    object that its Struct does not declare (``streamkit.events.extra_fields``).
    """
    sse = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    dec = EventDecoder(api, errors="yield", lossless=lossless)
    driver = _Driver(api, strict, verify, sse, lambda: dec.api, lossless=lossless)
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
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
    lossless: bool = False,
) -> Final:
    """Async twin of ``reduce`` over any async (or sync) byte source."""
    sse = framing_decoder(decoder, max_event_bytes, max_idle_lines)
    dec = EventDecoder(api, errors="yield", lossless=lossless)
    driver = _Driver(api, strict, verify, sse, lambda: dec.api, lossless=lossless)
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
    finish signal. The reducer is picked as ``reduce`` picks it: events that
    tell nothing of the API (``[DONE]``, an error payload) wait for one that
    does, so the result never depends on the chunking."""
    dec = EventDecoder(api, errors="yield")
    driver = _Driver(api, False, False, detected=lambda: dec.api)
    step: Callable[[Event], Any] | None = None
    for event in iter_events(
        source,
        decoder=decoder,
        max_event_bytes=max_event_bytes,
        max_idle_lines=max_idle_lines,
        event_decoder=dec,
    ):
        if step is not None:
            step(event)
        else:
            step = driver._begin(event)
            if step is None:
                continue  # held until an event decides the API
        yield from _taken(driver)
    # A stream whose events never decided the API is folded as ``reduce``
    # folds it; one without events has nothing to finish.
    driver._flush()
    if driver.reducer is not None:
        driver.finish()
        yield from _taken(driver)


def _taken(driver: _Driver) -> list[Finished]:
    finished: list[Finished] = driver.reducer.take_finished()  # type: ignore[union-attr]
    return finished
