"""The converter object and the ``convert`` / ``aconvert`` entry points."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from itertools import chain
from typing import Any, Literal, TypeAlias

import msgspec

from streamkit.convert._common import Lost, LostReport, Target, Writer
from streamkit.convert._readers import ChatReader, MessagesReader, Reader, ResponsesReader
from streamkit.convert._to_chat import CHUNK_TYPE, ChatWriter
from streamkit.convert._to_messages import MessagesWriter
from streamkit.convert._to_responses import ResponsesWriter
from streamkit.events._common import Done, UnknownEvent
from streamkit.events._decoder import Event
from streamkit.events.chat import ChatCompletionChunk
from streamkit.events.errors import StreamErrorEvent
from streamkit.events.messages import MESSAGE_EVENT_CLASSES
from streamkit.events.responses import RESPONSE_EVENT_CLASSES
from streamkit.io import aiter_frame_events, iter_frame_events
from streamkit.reducers._base import Reducer

__all__ = ["Conversion", "Converter", "SourceAPI", "aconvert", "convert"]

#: The API of a converter's source: one of the targets, or ``"auto"``
#: (detected from the first event).
SourceAPI: TypeAlias = Literal["auto", "responses", "chat", "messages"]

_TARGETS = ("responses", "chat", "messages")
_WRITERS: dict[str, Callable[[LostReport], Writer]] = {
    "responses": ResponsesWriter,
    "chat": ChatWriter,
    "messages": MessagesWriter,
}
_READERS: dict[str, Callable[[Writer, LostReport], Reader]] = {
    "responses": ResponsesReader,
    "chat": ChatReader,
    "messages": MessagesReader,
}
_API_OF: dict[type[Any], str] = {
    **dict.fromkeys(RESPONSE_EVENT_CLASSES.values(), "responses"),
    **dict.fromkeys(MESSAGE_EVENT_CLASSES.values(), "messages"),
    ChatCompletionChunk: "chat",
    StreamErrorEvent: "chat",
    Done: "chat",
}


# The events that end a stream of each API (an identity conversion watches for them).
_TERMINAL = frozenset(
    {
        Done,
        StreamErrorEvent,
        RESPONSE_EVENT_CLASSES["response.completed"],
        RESPONSE_EVENT_CLASSES["response.incomplete"],
        RESPONSE_EVENT_CLASSES["response.failed"],
        RESPONSE_EVENT_CLASSES["error"],
        MESSAGE_EVENT_CLASSES["message_stop"],
        MESSAGE_EVENT_CLASSES["error"],
    }
)


class Conversion(msgspec.Struct, kw_only=True, frozen=True):
    """What a converter did so far: ``source`` and ``target`` APIs, events in
    and out, whether the source's terminal event came (``ended``), and what
    the target could not carry (``lost``)."""

    source: str
    target: str
    events_in: int
    events_out: int
    ended: bool
    lost: list[Lost]


class Converter(Reducer[Any, Conversion]):
    """Converts one stream of typed events into the events of another API.

    Args:
        to: the target API: ``"responses"``, ``"chat"`` or ``"messages"``.
        source: the source API, or ``"auto"`` to detect it from the first event.
        emit: called with every event produced, in order (so the converter
            can sit inside ``combine``, ``tap`` or ``fan_out`` and still
            deliver its output).

    ``step(event)`` returns the target events that event produces (often none
    or one); ``finish()`` those produced when the source's bytes ended (none
    when the source ended with its terminal event; when it did not, none
    either: a truncated source gives a truncated-looking target, never a
    made-up success). ``result()`` is a :class:`Conversion` report, and
    ``lost`` what the target could not carry. Each converter keeps its whole
    state itself: converters share nothing.

    ``step`` takes an optional ``raw`` payload (the event's SSE ``data``
    bytes): for Chat sources it carries the provider extensions the typed
    chunk drops (``reasoning_content``, ``reasoning``, ``reasoning_details``,
    ``native_finish_reason``); ``convert`` passes it.
    """

    def __init__(
        self,
        to: Target,
        *,
        source: SourceAPI = "auto",
        emit: Callable[[Any], object] | None = None,
    ) -> None:
        if to not in _TARGETS:
            raise ValueError(f"to must be one of {_TARGETS}, not {to!r}")
        if source != "auto" and source not in _TARGETS:
            raise ValueError(f"source must be 'auto' or one of {_TARGETS}, not {source!r}")
        self.target: Target = to
        self.source: SourceAPI = source
        self._emit = emit
        self._lost = LostReport()
        self._reader: Reader | None = None
        self._writer: Writer | None = None
        self._identity = False
        self._in = 0
        self._out = 0
        self._finished = False
        self._terminal_seen = False
        if source != "auto":
            self._setup(source)

    def _setup(self, source: str) -> None:
        self.source = source  # type: ignore[assignment]
        if source == self.target:
            self._identity = True
            return
        writer = self._writer = _WRITERS[self.target](self._lost)
        self._reader = _READERS[source](writer, self._lost)

    @property
    def lost(self) -> list[Lost]:
        """What the target could not carry, one entry per kind (with a count)."""
        return self._lost.entries()

    @property
    def ended(self) -> bool:
        """Whether the source's terminal event was converted."""
        if self._identity:
            return self._terminal_seen
        return self._reader is not None and self._reader.ended

    def step(self, event: Any, raw: bytes | memoryview | None = None) -> list[Any]:  # type: ignore[override]
        """Convert one source event; return the target events it produces."""
        self._in += 1
        if self._reader is None and not self._identity:
            api = _API_OF.get(event.__class__)
            if api is None and isinstance(event, UnknownEvent) and event.type == CHUNK_TYPE:
                api = "chat"
            if api is None:
                # Unknown events before the first known one: nothing to convert yet.
                self._lost.add(f"event:{getattr(event, 'type', '?')}", "dropped before detection")
                return []
            self._setup(api)
        if self._identity:
            if event.__class__ in _TERMINAL:
                self._terminal_seen = True
            return self._deliver([event])
        assert self._reader is not None and self._writer is not None
        self._reader.step(event, raw)
        out = self._writer.out
        if not out:
            return out
        self._writer.out = []
        return self._deliver(out)

    def _deliver(self, out: list[Any]) -> list[Any]:
        self._out += len(out)
        emit = self._emit
        if emit is not None:
            for event in out:
                emit(event)
        return out

    def finish(self) -> list[Any]:  # type: ignore[override]
        """The source's bytes ended: return the last target events (see the
        class docstring)."""
        if self._finished or self._reader is None or self._writer is None:
            self._finished = True
            return []
        self._finished = True
        self._reader.finish()
        out = self._writer.out
        self._writer.out = []
        return self._deliver(out)

    def result(self) -> Conversion:
        """The conversion report so far."""
        return Conversion(
            source=self.source,
            target=self.target,
            events_in=self._in,
            events_out=self._out,
            ended=self.ended,
            lost=self.lost,
        )


# --------------------------------------------------------------------------- #
# Entry points
# --------------------------------------------------------------------------- #


def _is_byte_source(source: Any) -> bool:
    return isinstance(source, bytes | bytearray | memoryview | str | os.PathLike) or hasattr(
        source, "read"
    )


def convert(
    source: Any,
    to: Target = "responses",
    *,
    api: SourceAPI = "auto",
    converter: Converter | None = None,
) -> Iterator[Event]:
    """Convert a stream into typed events of the API ``to``, one source event
    at a time.

    ``source`` is anything ``iter_events`` reads (bytes, a path, a binary file,
    an iterable of byte chunks) or an iterable of typed events. ``api`` names
    the source's API (``"auto"``: detected). Pass ``converter=`` to read its
    ``lost`` report and ``result()`` afterwards. Decoding errors of the source
    are raised after every event before them was converted and yielded;
    in-stream errors are converted (``errors="yield"``).

    Write the result as SSE with ``streamkit.encode_events(events, api=to)``.
    """
    conv = converter if converter is not None else Converter(to, source=api)
    step = conv.step
    if not _is_byte_source(source):
        items = iter(source)
        first = next(items, None)
        if first is None:
            return
        if not isinstance(first, bytes | bytearray | memoryview):
            for event in chain((first,), items):
                yield from step(event)
            yield from conv.finish()
            return
        source = chain((first,), items)
    for frame, event in iter_frame_events(source, api, errors="yield"):
        yield from step(event, frame.data)
    yield from conv.finish()


async def aconvert(
    source: Any,
    to: Target = "responses",
    *,
    api: SourceAPI = "auto",
    converter: Converter | None = None,
) -> AsyncIterator[Event]:
    """Async twin of :func:`convert`: ``source`` may also be an async iterable
    of byte chunks (``httpx.Response.aiter_bytes()``) or of typed events."""
    conv = converter if converter is not None else Converter(to, source=api)
    step = conv.step
    if hasattr(source, "__aiter__"):
        items = source.__aiter__()
        try:
            first = await items.__anext__()
        except StopAsyncIteration:
            return
        if not isinstance(first, bytes | bytearray | memoryview):
            for event in step(first):
                yield event
            async for event in items:
                for out in step(event):
                    yield out
            for out in conv.finish():
                yield out
            return
        source = _prepend(first, items)
    elif not _is_byte_source(source):
        for out in convert(source, to, api=api, converter=conv):
            yield out
        return
    async for frame, event in aiter_frame_events(source, api, errors="yield"):
        for out in step(event, frame.data):
            yield out
    for out in conv.finish():
        yield out


async def _prepend(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    yield first
    async for item in rest:
        yield item
