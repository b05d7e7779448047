"""Typed events of an Anthropic Messages API stream (``"stream": true``).

The wire format is ``event: <type>`` plus ``data: <JSON with the same "type">``:
``message_start`` (the message shell), then for each content block
``content_block_start`` / ``content_block_delta``... / ``content_block_stop``
(by ``index``), then ``message_delta`` (stop reason, cumulative usage) and
``message_stop``. ``ping`` may come anywhere; an ``error`` event may replace any
event, the first one included (the HTTP status is then already 200).

Decoding is a single tagged-union decode::

    event = MESSAGE_EVENT_DECODER.decode(payload)

and only when that raises ``msgspec.ValidationError`` should a caller try
:func:`decode_message_event_tolerant`, which survives content blocks and deltas
of unknown kinds (kept raw as ``UnknownBlock`` / ``UnknownDelta``) and tells
unknown event types apart from malformed known ones. ``streamkit.events.EventDecoder``
(``api="messages"``, or detected with ``api="auto"``) drives both over SSE
frames, as it does for the other APIs.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias, get_args

import msgspec
from msgspec import UNSET, UnsetType

from streamkit.events._common import Done, UnknownEvent
from streamkit.models._base import Model, Wire
from streamkit.models.messages import (
    CONTENT_BLOCK_TYPES,
    UNKNOWN_BLOCK_TAG,
    Container,
    ContentBlock,
    Message,
    OutputTokensDetails,
    ServerToolUsage,
    StopDetails,
    TextCitation,
)

__all__ = [
    # deltas
    "TextDelta",
    "InputJSONDelta",
    "CitationsDelta",
    "ThinkingDelta",
    "SignatureDelta",
    "CompactionDelta",
    "UnknownDelta",
    "BlockDelta",
    "BLOCK_DELTA_TYPES",
    "UNKNOWN_DELTA_TAG",
    # event payload pieces
    "MessageDeltaBody",
    "MessageDeltaUsage",
    "MessageErrorDetail",
    # events
    "MessageStartEvent",
    "ContentBlockStartEvent",
    "ContentBlockDeltaEvent",
    "ContentBlockStopEvent",
    "MessageDeltaEvent",
    "MessageStopEvent",
    "PingEvent",
    "MessageErrorEvent",
    "MessageStreamEvent",
    "MessagesEvent",
    "MESSAGE_EVENT_DECODER",
    "MESSAGE_EVENT_CLASSES",
    "MESSAGE_EVENT_TYPES",
    "decode_message_event_tolerant",
]


# --------------------------------------------------------------------------- #
# Content block deltas
# --------------------------------------------------------------------------- #


class TextDelta(Model, kw_only=True, tag_field="type", tag="text_delta"):
    """A piece of a text block's text."""

    text: str


class InputJSONDelta(Model, kw_only=True, tag_field="type", tag="input_json_delta"):
    """A piece of a tool use block's JSON input (not valid JSON on its own)."""

    partial_json: str


class CitationsDelta(Model, kw_only=True, tag_field="type", tag="citations_delta"):
    """A citation added to a text block."""

    citation: TextCitation


class ThinkingDelta(Model, kw_only=True, tag_field="type", tag="thinking_delta"):
    """A piece of a thinking block's text."""

    thinking: str


class SignatureDelta(Model, kw_only=True, tag_field="type", tag="signature_delta"):
    """The signature of a thinking block (sent whole, just before its stop)."""

    signature: str


class CompactionDelta(Model, kw_only=True, tag_field="type", tag="compaction_delta"):
    """The content of a compaction block (beta compaction), sent whole."""

    content: str | UnsetType | None = UNSET
    encrypted_content: str | UnsetType | None = UNSET


UNKNOWN_DELTA_TAG = "streamkit.unknown_delta"


class UnknownDelta(Model, kw_only=True, tag_field="type", tag=UNKNOWN_DELTA_TAG):
    """A block delta of a kind streamkit does not know, kept as raw JSON
    (``type`` gives back the wire type)."""

    delta_type: str
    raw: msgspec.Raw

    @property
    def type(self) -> str:
        """The delta's ``type`` on the wire."""
        return self.delta_type


BlockDelta = (
    TextDelta
    | InputJSONDelta
    | CitationsDelta
    | ThinkingDelta
    | SignatureDelta
    | CompactionDelta
    | UnknownDelta
)

#: Every block delta ``type`` the typed union understands (not UnknownDelta).
BLOCK_DELTA_TYPES: frozenset[str] = frozenset(
    str(cls.__struct_config__.tag) for cls in get_args(BlockDelta) if cls is not UnknownDelta
)


# --------------------------------------------------------------------------- #
# Event payload pieces
# --------------------------------------------------------------------------- #


class MessageDeltaBody(Model, kw_only=True):
    """What ``message_delta`` changes on the message."""

    stop_reason: str | UnsetType | None = UNSET
    stop_sequence: str | UnsetType | None = UNSET
    stop_details: StopDetails | UnsetType | None = UNSET
    container: Container | UnsetType | None = UNSET


class MessageDeltaUsage(Model, kw_only=True):
    """Cumulative usage totals sent by ``message_delta``: each field present
    replaces the message's value (never add them up)."""

    output_tokens: int
    input_tokens: int | UnsetType | None = UNSET
    cache_creation_input_tokens: int | UnsetType | None = UNSET
    cache_read_input_tokens: int | UnsetType | None = UNSET
    server_tool_use: ServerToolUsage | UnsetType | None = UNSET
    output_tokens_details: OutputTokensDetails | UnsetType | None = UNSET


class MessageErrorDetail(Model, kw_only=True):
    """An in-stream error: ``type`` is ``overloaded_error``, ``api_error``,
    ``rate_limit_error``, ``invalid_request_error``, ..."""

    type: str
    message: str


# --------------------------------------------------------------------------- #
# Events
# --------------------------------------------------------------------------- #


class MessageStartEvent(Wire, kw_only=True, tag_field="type", tag="message_start"):
    """The stream started: the message shell (id, model, usage so far; no content)."""

    message: Message


class ContentBlockStartEvent(Wire, kw_only=True, tag_field="type", tag="content_block_start"):
    """Content block ``index`` started (text and tool input empty, filled by deltas)."""

    index: int
    content_block: ContentBlock


class ContentBlockDeltaEvent(Wire, kw_only=True, tag_field="type", tag="content_block_delta"):
    """A delta for content block ``index``."""

    index: int
    delta: BlockDelta


class ContentBlockStopEvent(Wire, kw_only=True, tag_field="type", tag="content_block_stop"):
    """Content block ``index`` is complete."""

    index: int


class MessageDeltaEvent(Wire, kw_only=True, tag_field="type", tag="message_delta"):
    """Top-level changes: stop reason, stop sequence, stop details, cumulative usage."""

    delta: MessageDeltaBody
    # The API always sends it; proxies may not.
    usage: MessageDeltaUsage | UnsetType = UNSET


class MessageStopEvent(Wire, kw_only=True, tag_field="type", tag="message_stop"):
    """The message is complete: the stream's terminal event."""


class PingEvent(Wire, kw_only=True, tag_field="type", tag="ping"):
    """A keep-alive."""


class MessageErrorEvent(Wire, kw_only=True, tag_field="type", tag="error"):
    """The server aborted the stream (``overloaded_error``, ...)."""

    error: MessageErrorDetail
    request_id: str | UnsetType | None = UNSET


MessageStreamEvent = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | MessageErrorEvent
)

#: Everything a Messages stream decodes to.
MessagesEvent: TypeAlias = MessageStreamEvent | UnknownEvent | Done

#: The one decoder for Messages stream payloads (the JSON of a ``data:`` line).
MESSAGE_EVENT_DECODER: msgspec.json.Decoder[MessageStreamEvent] = msgspec.json.Decoder(
    MessageStreamEvent
)

#: Event ``type`` tag -> class, for every known event type.
MESSAGE_EVENT_CLASSES: dict[str, type[Model]] = {
    str(cls.__struct_config__.tag): cls for cls in get_args(MessageStreamEvent)
}

#: Every event ``type`` the union understands.
MESSAGE_EVENT_TYPES: frozenset[str] = frozenset(MESSAGE_EVENT_CLASSES)


# --------------------------------------------------------------------------- #
# Tolerant decoding
# --------------------------------------------------------------------------- #


def _placeholder(obj: Any, known: frozenset[str], tag: str, field: str, force: bool) -> Any:
    """``obj``, or a stand-in holding its JSON when its kind is unknown (or ``force``).

    The stand-in already holds the JSON as ``msgspec.Raw``, so ``msgspec.convert``
    turns it into the final UnknownBlock / UnknownDelta in place. Objects whose
    ``type`` is not a string are left alone: conversion reports them as malformed.
    """
    if isinstance(obj, dict):
        kind = obj.get("type")
        if isinstance(kind, str) and (force or kind not in known):
            return {"type": tag, field: kind, "raw": msgspec.Raw(msgspec.json.encode(obj))}
    return obj


def _block(obj: Any, force: bool = False) -> Any:
    return _placeholder(obj, CONTENT_BLOCK_TYPES, UNKNOWN_BLOCK_TAG, "block_type", force)


def _delta(obj: Any, force: bool = False) -> Any:
    return _placeholder(obj, BLOCK_DELTA_TYPES, UNKNOWN_DELTA_TAG, "delta_type", force)


# msgspec's message for a tag (``type``) no union member has, with its path.
_NEW_KIND = re.compile(
    r"Invalid value '[^']*' - at `\$\.(?P<path>(?P<head>content_block|delta|"
    r"message\.content\[(?P<i>\d+)\])\.[^`]*\btype)`"
)


def decode_message_event_tolerant(data: bytes | memoryview) -> MessageStreamEvent | None:
    """Decode a Messages event that ``MESSAGE_EVENT_DECODER`` rejected.

    Call only after the fast decoder raised ``msgspec.ValidationError`` (this is
    slower: it goes through builtins).

    Returns None when the event ``type`` is unknown. For a known event, content
    blocks of unknown kinds (``content_block``, ``message.content[i]``) become
    :class:`~streamkit.models.messages.UnknownBlock` and deltas of unknown kinds
    :class:`UnknownDelta`; a known block or delta that holds something of a new
    kind inside (a new citation, result or caller kind) is kept raw the same way.
    If the event still does not fit its Struct, the ``msgspec.ValidationError``
    is raised. Invalid JSON raises ``msgspec.DecodeError``, and so does JSON
    nested too deep to decode (msgspec recurses per level and would raise
    ``RecursionError``).
    """
    try:
        obj = msgspec.json.decode(data)
    except RecursionError:
        # msgspec leaves each level it entered: the interpreter is intact.
        raise msgspec.DecodeError(
            "payload nests too deep (deeper than the Python recursion limit)"
        ) from None
    if not isinstance(obj, dict):
        raise msgspec.ValidationError("Expected `object`, got `" + type(obj).__name__ + "`")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in MESSAGE_EVENT_TYPES:
        return None
    content: list[Any] | None = None
    if kind == "content_block_start" and "content_block" in obj:
        obj["content_block"] = _block(obj["content_block"])
    elif kind == "content_block_delta" and "delta" in obj:
        obj["delta"] = _delta(obj["delta"])
    elif kind == "message_start":
        message = obj.get("message")
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            content = message["content"] = [_block(b) for b in message["content"]]
    for _ in range(len(content or ()) + 2):
        try:
            event: MessageStreamEvent = msgspec.convert(obj, MessageStreamEvent)
            return event
        except msgspec.ValidationError as exc:
            found = _NEW_KIND.search(str(exc))
            if found is None:
                raise
            head = found["head"]
            if head == "content_block":
                obj["content_block"] = _block(obj["content_block"], force=True)
            elif head == "delta":
                obj["delta"] = _delta(obj["delta"], force=True)
            elif content is not None:
                i = int(found["i"])
                content[i] = _block(content[i], force=True)
            else:
                raise
    raise msgspec.ValidationError(f"event {kind!r} keeps failing to convert")
