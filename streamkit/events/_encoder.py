"""Typed events → ``text/event-stream`` bytes: the inverse of the event layer.

A gateway that decoded a stream (to inspect, filter or rewrite it) can emit it
again. Each event becomes the frame a server of its API sends: Responses and
Messages events as ``event: <type>`` + ``data: <json>``, Chat and Completions
chunks as a bare ``data: <json>``, ``Done`` as ``data: [DONE]``. Decoding the output with
``EventDecoder`` gives back events equal to the input. The JSON of an event
decoded in lossless mode is the server's own (forwarded when unmodified, merged
with the fields its Struct lacks when modified); otherwise it may differ from
the server's in spacing, key order, number formatting and fields streamkit does
not declare.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, get_args

import msgspec

from streamkit.events._common import Done, UnknownEvent
from streamkit.events._decoder import API, Event
from streamkit.events._raw import lossless_payload, raw_payload
from streamkit.events.chat import ChatCompletionChunk
from streamkit.events.completions import CompletionChunk
from streamkit.events.errors import StreamErrorEvent
from streamkit.events.messages import (
    MESSAGE_EVENT_CLASSES,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    MessageStartEvent,
    UnknownDelta,
)
from streamkit.events.responses import (
    RESPONSE_EVENT_CLASSES,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
)
from streamkit.models._base import Wire
from streamkit.models.messages import UnknownBlock
from streamkit.models.responses import Response, UnknownItem
from streamkit.sse._encoder import encode_sse

__all__ = ["encode_event", "encode_events", "aencode_events"]

_APIS = get_args(API)
_ENCODER = msgspec.json.Encoder()
_DONE_FRAME = b"data: [DONE]\n\n"
# Per Responses event class, the bytes before its JSON: ``event: <type>\n``.
_EVENT_LINES: dict[type[Any], bytes] = {
    cls: b"event: " + tag.encode() + b"\n" for tag, cls in RESPONSE_EVENT_CLASSES.items()
}
# The same for Messages events (Anthropic's server names every event too).
_MESSAGE_LINES: dict[type[Any], bytes] = {
    cls: b"event: " + tag.encode() + b"\n" for tag, cls in MESSAGE_EVENT_CLASSES.items()
}
_CHUNK_CLASSES = (ChatCompletionChunk, CompletionChunk)
_ITEM_EVENTS = (ResponseOutputItemAddedEvent, ResponseOutputItemDoneEvent)


def encode_event(event: Event, *, id: str | None = None, api: API = "auto") -> bytes:
    """Format one typed event as SSE bytes, blank line included.

    Args:
        event: any event streamkit decodes (``Event``).
        id: an SSE ``id:`` line to write (no CR, LF or NUL).
        api: the API of the stream the event belongs to; it only matters for
            events that do not tell: an ``UnknownEvent`` gets an
            ``event: <type>`` line unless ``api`` is ``"chat"`` or
            ``"completions"``, and a ``StreamErrorEvent`` gets ``event: error``
            only when ``api`` is ``"responses"`` or ``"messages"`` (how each
            API's servers frame them). Decoding is the same either way.

    An event decoded in lossless mode is written as the payload it came from
    when it was not modified (``raw_payload``, byte for byte), and otherwise
    with every field the server sent that its Struct does not declare put back
    (to modify one and keep that, ``streamkit.events.replace``).
    An ``UnknownEvent`` is written as its original payload (``raw``). Output
    items of unknown kinds (``UnknownItem``) and Messages content blocks and
    deltas of unknown kinds (``UnknownBlock``, ``UnknownDelta``) are written as
    their original JSON.
    Raises ``TypeError`` for an object that is not a streamkit event.
    """
    if api not in _APIS:
        raise ValueError(f"api must be one of {_APIS}, not {api!r}")
    cls = event.__class__
    raw = raw_payload(event)
    line = _EVENT_LINES.get(cls)
    if line is not None:
        plain: Any = _restore_unknown_items(event)
    elif (line := _MESSAGE_LINES.get(cls)) is not None:
        plain = _restore_unknown_blocks(event)
    elif cls in _CHUNK_CLASSES:
        line = b""
        plain = event
    elif cls is Done:
        if id is None:
            return _DONE_FRAME
        line = b""
        payload = b"[DONE]"
    elif cls is UnknownEvent:
        assert isinstance(event, UnknownEvent)
        kind = event.type
        # Chat servers name no events; a type with a line break cannot be a name.
        plain = api in ("chat", "completions") or "\n" in kind or "\r" in kind
        name = None if plain else kind
        if b"\n" in event.raw or b"\r" in event.raw:
            # A multi-line payload needs one ``data:`` line per line.
            return encode_sse(event.raw, event=name, id=id)
        line = b"" if name is None else b"event: " + name.encode() + b"\n"
        payload = event.raw
    elif cls is StreamErrorEvent:
        line = b"event: error\n" if api in ("responses", "messages") else b""
        plain = event
    else:
        raise TypeError(f"not a streamkit event: {type(event).__name__}")
    if cls is not UnknownEvent and cls is not Done:
        if raw is None:
            payload = _ENCODER.encode(plain)
        else:
            assert isinstance(event, Wire)
            payload = lossless_payload(event, raw, _ENCODER, plain)
            if b"\n" in payload:  # a payload sent on several data: lines
                payload = payload.replace(b"\n", b"\ndata: ")
    if id is not None:
        line += _id_line(id)
    return line + b"data: " + payload + b"\n\n"


def encode_events(
    events: Iterable[Event], *, ids: bool = False, api: API = "auto"
) -> Iterator[bytes]:
    """Yield the SSE bytes of each event, in order (see ``encode_event``).

    With ``ids=True`` every Responses event that carries a ``sequence_number``
    gets ``id: <sequence_number>``, so a client can resume with
    ``Last-Event-ID``. With ``api="auto"`` the stream's API is taken from its
    first Responses or Messages event or chunk, as the decoder does.
    """
    state = _Stream(ids, api)
    for event in events:
        yield state.encode(event)


async def aencode_events(
    events: AsyncIterable[Event], *, ids: bool = False, api: API = "auto"
) -> AsyncIterator[bytes]:
    """Async twin of ``encode_events``."""
    state = _Stream(ids, api)
    async for event in events:
        yield state.encode(event)


class _Stream:
    """What ``encode_events`` remembers between events: the API and ``ids``."""

    __slots__ = ("api", "ids")

    def __init__(self, ids: bool, api: API) -> None:
        if api not in _APIS:
            raise ValueError(f"api must be one of {_APIS}, not {api!r}")
        self.ids = ids
        self.api = api

    def encode(self, event: Event) -> bytes:
        cls = event.__class__
        if self.api == "auto":
            if cls in _EVENT_LINES:
                self.api = "responses"
            elif cls in _MESSAGE_LINES:
                self.api = "messages"
            elif cls is ChatCompletionChunk:
                self.api = "chat"
            elif cls is CompletionChunk:
                self.api = "completions"
        id = None
        if self.ids and cls in _EVENT_LINES:
            seq = getattr(event, "sequence_number", msgspec.UNSET)
            if isinstance(seq, int):
                id = str(seq)
        return encode_event(event, id=id, api=self.api)


def _restore_unknown_items(event: Any) -> Any:
    """``event``, with every ``UnknownItem`` replaced by its raw JSON.

    An ``UnknownItem`` is a stand-in: encoding it as a Struct would write its
    internal tag instead of the item the server sent. ``msgspec.Raw`` in its
    place is written verbatim. Events without one are returned as they are.
    """
    if isinstance(event, _ITEM_EVENTS):
        if isinstance(event.item, UnknownItem):
            return msgspec.structs.replace(event, item=event.item.raw)
        return event
    response = getattr(event, "response", None)
    if isinstance(response, Response) and isinstance(response.output, list):
        output = response.output
        if any(isinstance(item, UnknownItem) for item in output):
            raw = [item.raw if isinstance(item, UnknownItem) else item for item in output]
            response = msgspec.structs.replace(response, output=raw)
            return msgspec.structs.replace(event, response=response)
    return event


def _restore_unknown_blocks(event: Any) -> Any:
    """``event``, with every ``UnknownBlock`` / ``UnknownDelta`` replaced by its
    raw JSON (see ``_restore_unknown_items``)."""
    cls = event.__class__
    if cls is ContentBlockDeltaEvent:
        if isinstance(event.delta, UnknownDelta):
            return msgspec.structs.replace(event, delta=event.delta.raw)
    elif cls is ContentBlockStartEvent:
        if isinstance(event.content_block, UnknownBlock):
            return msgspec.structs.replace(event, content_block=event.content_block.raw)
    elif cls is MessageStartEvent:
        message = event.message
        if any(isinstance(block, UnknownBlock) for block in message.content):
            raw = [b.raw if isinstance(b, UnknownBlock) else b for b in message.content]
            message = msgspec.structs.replace(message, content=raw)
            return msgspec.structs.replace(event, message=message)
    return event


def _id_line(id: str) -> bytes:
    # A line break would end the field early and NUL makes clients ignore it.
    if "\n" in id or "\r" in id or "\x00" in id:
        raise ValueError(f"an SSE id cannot contain CR, LF or NUL: {id!r}")
    return b"id: " + id.encode() + b"\n"
