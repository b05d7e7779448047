"""Anthropic Messages stream events: decoding, re-encoding, tolerance and errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec
import pytest
from helpers import chunkings, recording_params, recording_paths

from streamkit.errors import (
    APIMismatchError,
    APIStreamError,
    EventDecodeError,
    UnexpectedEventError,
    UnknownEventError,
)
from streamkit.events._common import Done, UnknownEvent
from streamkit.events._decoder import EventDecoder
from streamkit.events.messages import (
    BLOCK_DELTA_TYPES,
    MESSAGE_EVENT_DECODER,
    MESSAGE_EVENT_TYPES,
    CitationsDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    MessageDeltaEvent,
    MessageErrorEvent,
    MessagesEvent,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    TextDelta,
    UnknownDelta,
    decode_message_event_tolerant,
)
from streamkit.models.messages import (
    CONTENT_BLOCK_TYPES,
    CitationCharLocation,
    CompactionBlock,
    ServerToolUseBlock,
    TextBlock,
    ToolUseBlock,
    UnknownBlock,
    WebSearchToolResultBlock,
    block_type,
)
from streamkit.sse._decoder import SSEDecoder, SSEFrame

PATHS = recording_paths("messages")

# Fields of the recordings outside the GA Messages API (beta fallback and
# iteration accounting): not modelled, so dropped on re-encoding.
_EXTENSIONS = {
    "delta.stop_details.fallback_credit_token",
    "delta.stop_details.fallback_has_prefill_claim",
    "usage.fallback_credit",
    "usage.iterations",
}


def _frames(chunks: list[bytes]) -> list[SSEFrame]:
    sse = SSEDecoder()
    frames: list[SSEFrame] = []
    for chunk in chunks:
        frames.extend(sse.feed(chunk))
    frames.extend(sse.close())
    return frames


def iter_message_events(
    frames: Iterable[SSEFrame],
    *,
    strict: bool = False,
    errors: Literal["raise", "yield"] = "raise",
) -> Iterator[Any]:
    """The shared event decoder over ``frames``, as a Messages stream."""
    decoder = EventDecoder("messages", strict=strict, errors=errors)
    for frame in frames:
        event = decoder.decode(frame)
        if event is not None:
            yield event


def _events(data: bytes, **options: Any) -> list[MessagesEvent]:
    return list(iter_message_events(_frames([data]), **options))


def _sse(*payloads: dict[str, Any] | bytes, space: bool = True) -> bytes:
    out = []
    for payload in payloads:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        name = json.loads(data).get("type", "message") if data.startswith(b"{") else "message"
        sep = b": " if space else b":"
        out.append(b"event: " + name.encode() + b"\ndata" + sep + data + b"\n\n")
    return b"".join(out)


def _wire(obj: Any) -> Any:
    """An event or block as wire JSON builtins (unknown blocks and deltas as their raw JSON)."""
    if isinstance(obj, UnknownBlock | UnknownDelta):
        return msgspec.json.decode(obj.raw)
    data = msgspec.json.decode(msgspec.json.encode(obj))
    for name in ("content_block", "delta"):
        value = getattr(obj, name, None)
        if isinstance(value, UnknownBlock | UnknownDelta):
            data[name] = msgspec.json.decode(value.raw)
    message = getattr(obj, "message", None)
    if message is not None:
        data["message"]["content"] = [_wire(b) for b in message.content]
    return data


def _dropped(raw: Any, encoded: Any, path: str = "") -> set[str]:
    """Keys of ``raw`` missing from ``encoded``; asserts every kept value is equal."""
    if isinstance(raw, dict):
        assert isinstance(encoded, dict), path
        assert set(encoded) <= set(raw), (path, set(encoded) - set(raw))
        out: set[str] = set()
        for key, value in raw.items():
            where = f"{path}.{key}" if path else key
            if key in encoded:
                out |= _dropped(value, encoded[key], where)
            else:
                out.add(where)
        return out
    if isinstance(raw, list):
        assert isinstance(encoded, list) and len(raw) == len(encoded), path
        out = set()
        for a, b in zip(raw, encoded, strict=True):
            out |= _dropped(a, b, path)
        return out
    assert raw == encoded, path
    return set()


# --- recordings -------------------------------------------------------------------


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_decodes_at_every_chunking(path: Path) -> None:
    data = path.read_bytes()
    reference: list[bytes] | None = None
    for _name, chunks in chunkings(data, bytewise=len(data) < 10_000):
        events = list(iter_message_events(_frames(chunks), strict=True))
        assert events, "no events"
        assert isinstance(events[0], MessageStartEvent)
        assert not any(isinstance(e, UnknownEvent) for e in events)
        for event in events:
            if isinstance(event, ContentBlockStartEvent):
                kind = block_type(event.content_block)
                # Raw only for kinds the typed union does not have.
                assert isinstance(event.content_block, UnknownBlock) == (
                    kind not in CONTENT_BLOCK_TYPES
                )
            if isinstance(event, ContentBlockDeltaEvent):
                assert not isinstance(event.delta, UnknownDelta)
        encoded = [msgspec.json.encode(_wire(e)) for e in events]
        if reference is None:
            reference = encoded
        assert encoded == reference


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_reencodes_to_its_payloads(path: Path) -> None:
    for frame in _frames([path.read_bytes()]):
        raw = json.loads(bytes(frame.data))
        [event] = iter_message_events([frame])
        dropped = _dropped(raw, _wire(event))
        assert dropped <= _EXTENSIONS, dropped


def test_every_recorded_block_and_delta_kind_is_typed() -> None:
    # The kinds the recordings and the API reference name; "fallback" stays raw.
    assert {"text", "thinking", "tool_use", "server_tool_use", "web_search_tool_result"} <= (
        CONTENT_BLOCK_TYPES
    )
    assert {"redacted_thinking", "web_fetch_tool_result", "code_execution_tool_result"} <= (
        CONTENT_BLOCK_TYPES
    )
    assert {"mcp_tool_use", "mcp_tool_result", "compaction", "container_upload"} <= (
        CONTENT_BLOCK_TYPES
    )
    assert {
        "text_delta",
        "input_json_delta",
        "citations_delta",
        "thinking_delta",
        "signature_delta",
        "compaction_delta",
    } == BLOCK_DELTA_TYPES
    assert {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    } == MESSAGE_EVENT_TYPES


# --- wire details -------------------------------------------------------------------

_START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    },
}


def test_padded_json_and_data_without_space() -> None:
    body = (
        b'event: message_start\ndata:{"type":"message_start","message":'
        + json.dumps(_START["message"]).encode()
        + b"}      \n\n"
        b'event: ping\ndata: {"type": "ping"}\n\n'
        b'event: message_stop\ndata:{"type":"message_stop"    }\n\n'
    )
    events = _events(body)
    assert [type(e) for e in events] == [MessageStartEvent, PingEvent, MessageStopEvent]
    start = events[0]
    assert isinstance(start, MessageStartEvent)
    assert start.message.id == "msg_1"
    assert start.message.usage.input_tokens == 3


def test_every_block_kind_of_the_sdk_decodes() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "redacted_thinking", "data": "xyz"},
        {
            "type": "web_fetch_tool_result",
            "tool_use_id": "srv_1",
            "content": {
                "type": "web_fetch_result",
                "url": "https://example.com",
                "content": {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "hi"},
                    "title": None,
                },
                "retrieved_at": "2025-01-01T00:00:00Z",
            },
        },
        {
            "type": "code_execution_tool_result",
            "tool_use_id": "srv_2",
            "content": {
                "type": "code_execution_result",
                "stdout": "4\n",
                "stderr": "",
                "return_code": 0,
                "content": [{"type": "code_execution_output", "file_id": "f1"}],
            },
        },
        {
            "type": "bash_code_execution_tool_result",
            "tool_use_id": "srv_3",
            "content": {
                "type": "bash_code_execution_tool_result_error",
                "error_code": "unavailable",
            },
        },
        {
            "type": "text_editor_code_execution_tool_result",
            "tool_use_id": "srv_4",
            "content": {
                "type": "text_editor_code_execution_view_result",
                "content": "x = 1",
                "file_type": "text",
                "num_lines": 1,
                "start_line": 1,
                "total_lines": 1,
            },
        },
        {
            "type": "tool_search_tool_result",
            "tool_use_id": "srv_5",
            "content": {
                "type": "tool_search_tool_search_result",
                "tool_references": [{"type": "tool_reference", "tool_name": "weather"}],
            },
        },
        {"type": "container_upload", "file_id": "file_1"},
        {"type": "mcp_tool_use", "id": "m1", "name": "echo", "server_name": "srv", "input": {}},
        {
            "type": "mcp_tool_result",
            "tool_use_id": "m1",
            "is_error": False,
            "content": [{"type": "text", "text": "ok"}],
        },
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srv_6",
            "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"},
        },
    ]
    payloads = [
        {"type": "content_block_start", "index": i, "content_block": b}
        for i, b in enumerate(blocks)
    ]
    events = _events(_sse(*payloads))
    for event, payload in zip(events, payloads, strict=True):
        assert isinstance(event, ContentBlockStartEvent)
        assert not isinstance(event.content_block, UnknownBlock)
        assert block_type(event.content_block) == payload["content_block"]["type"]
        assert _wire(event) == payload


def test_message_delta_fields() -> None:
    payload = {
        "type": "message_delta",
        "delta": {
            "stop_reason": "refusal",
            "stop_sequence": None,
            "stop_details": {"type": "refusal", "category": "cyber", "explanation": "no"},
            "container": {"id": "cont_1", "expires_at": "2025-01-01T00:00:00Z"},
        },
        "usage": {
            "output_tokens": 7,
            "input_tokens": 5,
            "cache_read_input_tokens": 2,
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
            "output_tokens_details": {"thinking_tokens": 3},
        },
    }
    [event] = _events(_sse(payload))
    assert isinstance(event, MessageDeltaEvent)
    assert event.delta.stop_details is not None and event.delta.stop_details is not msgspec.UNSET
    assert _wire(event) == payload


# --- tolerance ----------------------------------------------------------------------


def test_unknown_event_type_is_kept_raw() -> None:
    raw = b'{"type":"message_annotation","note":1}'
    [event] = _events(_sse(raw))
    assert event == UnknownEvent(type="message_annotation", raw=raw)


def test_unknown_event_type_in_strict_mode() -> None:
    body = _sse(_START, b'{"type":"message_annotation"}')
    with pytest.raises(UnknownEventError) as info:
        _events(body, strict=True)
    assert info.value.index == 1
    assert info.value.event_type == "message_annotation"


def test_unknown_block_kind_is_kept_raw() -> None:
    block = {"type": "hologram", "frames": [1, 2]}
    [event] = _events(_sse({"type": "content_block_start", "index": 0, "content_block": block}))
    assert isinstance(event, ContentBlockStartEvent)
    assert isinstance(event.content_block, UnknownBlock)
    assert event.content_block.type == "hologram"
    assert msgspec.json.decode(event.content_block.raw) == block


def test_known_block_holding_a_new_citation_kind_is_kept_raw() -> None:
    block = {"type": "text", "text": "", "citations": [{"type": "hologram_location", "x": 1}]}
    [event] = _events(_sse({"type": "content_block_start", "index": 0, "content_block": block}))
    assert isinstance(event, ContentBlockStartEvent)
    assert isinstance(event.content_block, UnknownBlock)
    assert event.content_block.type == "text"
    assert msgspec.json.decode(event.content_block.raw) == block


def test_unknown_delta_kind_is_kept_raw() -> None:
    delta = {"type": "hologram_delta", "frame": 3}
    [event] = _events(_sse({"type": "content_block_delta", "index": 0, "delta": delta}))
    assert isinstance(event, ContentBlockDeltaEvent)
    assert isinstance(event.delta, UnknownDelta)
    assert event.delta.type == "hologram_delta"
    assert msgspec.json.decode(event.delta.raw) == delta


def test_citation_delta_of_a_new_kind_is_kept_raw() -> None:
    delta = {"type": "citations_delta", "citation": {"type": "hologram_location"}}
    [event] = _events(_sse({"type": "content_block_delta", "index": 0, "delta": delta}))
    assert isinstance(event, ContentBlockDeltaEvent)
    assert isinstance(event.delta, UnknownDelta)
    assert event.delta.type == "citations_delta"


def test_message_start_with_blocks_of_unknown_kinds() -> None:
    start = json.loads(json.dumps(_START))
    start["message"]["content"] = [{"type": "hologram"}, {"type": "text", "text": "hi"}]
    [event] = _events(_sse(start))
    assert isinstance(event, MessageStartEvent)
    first, second = event.message.content
    assert isinstance(first, UnknownBlock) and first.type == "hologram"
    assert second == TextBlock(text="hi")


def test_new_caller_kind_does_not_break_a_tool_block() -> None:
    block = {
        "type": "tool_use",
        "id": "t1",
        "name": "f",
        "input": {},
        "caller": {"type": "code_execution_20990101", "tool_id": "srv_1"},
    }
    [event] = _events(_sse({"type": "content_block_start", "index": 0, "content_block": block}))
    assert isinstance(event, ContentBlockStartEvent)
    assert isinstance(event.content_block, ToolUseBlock)
    assert _wire(event)["content_block"] == block


def test_tolerant_decoder_contract() -> None:
    assert decode_message_event_tolerant(b'{"type":"whatever"}') is None
    with pytest.raises(msgspec.ValidationError):
        decode_message_event_tolerant(b'{"type":"content_block_stop"}')
    with pytest.raises(msgspec.DecodeError):
        decode_message_event_tolerant(b"{nope")
    event = decode_message_event_tolerant(
        b'{"type":"content_block_start","index":2,"content_block":{"type":"server_tool_use",'
        b'"id":"s","name":"web_search","input":{}}}'
    )
    assert isinstance(event, ContentBlockStartEvent)
    assert isinstance(event.content_block, ServerToolUseBlock)


# --- errors -------------------------------------------------------------------------

_ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def test_error_event_raises_with_its_type_and_position() -> None:
    body = _sse(_START, {"type": "ping"}, _ERROR)
    seen: list[MessagesEvent] = []
    with pytest.raises(APIStreamError) as info:
        for event in iter_message_events(_frames([body])):
            seen.append(event)
    err = info.value
    assert err.type == "overloaded_error"
    assert err.server_message == "Overloaded"
    assert err.index == 2
    assert err.event_type == "error"
    assert isinstance(err.event, MessageErrorEvent)
    assert b"overloaded_error" in err.excerpt
    assert [type(e) for e in seen] == [MessageStartEvent, PingEvent]


def test_error_as_the_first_event() -> None:
    with pytest.raises(APIStreamError) as info:
        _events(_sse(_ERROR))
    assert info.value.index == 0
    [event] = _events(_sse(_ERROR), errors="yield")
    assert isinstance(event, MessageErrorEvent)
    assert event.error.type == "overloaded_error"


def test_malformed_known_event() -> None:
    body = _sse(_START, b'{"type":"content_block_delta","delta":{"type":"text_delta"}}')
    with pytest.raises(EventDecodeError) as info:
        _events(body)
    assert info.value.index == 1
    assert info.value.excerpt.startswith(b'{"type":"content_block_delta"')


def test_invalid_json() -> None:
    with pytest.raises(EventDecodeError, match="invalid JSON") as info:
        _events(_sse(_START) + b"event: ping\ndata: {oops\n\n")
    assert info.value.index == 1


@pytest.mark.parametrize(
    ("payload", "api"),
    [
        (
            b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
            b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}',
            "chat",
        ),
        (b'{"type":"response.created","sequence_number":0}', "responses"),
    ],
)
def test_other_api_is_reported(payload: bytes, api: str) -> None:
    with pytest.raises(APIMismatchError, match=f"api={api!r}"):
        _events(_sse(payload))


def test_done_sentinel_ends_the_stream() -> None:
    body = _sse(_START) + b"data: [DONE]\n\n" + _sse({"type": "ping"})
    events = _events(body)
    assert [type(e) for e in events] == [MessageStartEvent, Done]
    with pytest.raises(UnexpectedEventError):
        _events(body, strict=True)


def test_decoder_counts_frames_across_batches() -> None:
    decoder = EventDecoder("messages")
    frames = _frames([_sse(_START, {"type": "ping"}, {"type": "message_stop"})])
    out: list[Any] = []
    decoder.decode_into(frames[:1], out)
    decoder.decode_into(frames[1:], out)
    assert decoder.index == 3
    assert decoder.decode(_frames([_sse({"type": "ping"})])[0]) == PingEvent()


def test_fast_path_types() -> None:
    payload = (
        b'{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta",'
        b'"citation":{"type":"char_location","cited_text":"a","document_index":0,'
        b'"document_title":null,"start_char_index":0,"end_char_index":1}}}'
    )
    event = MESSAGE_EVENT_DECODER.decode(payload)
    assert isinstance(event, ContentBlockDeltaEvent)
    assert isinstance(event.delta, CitationsDelta)
    assert isinstance(event.delta.citation, CitationCharLocation)
    text = MESSAGE_EVENT_DECODER.decode(
        b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}'
    )
    assert isinstance(text, ContentBlockDeltaEvent) and text.delta == TextDelta(text="x")
    compaction = MESSAGE_EVENT_DECODER.decode(
        b'{"type":"content_block_start","index":0,"content_block":{"type":"compaction",'
        b'"content":null}}'
    )
    assert isinstance(compaction, ContentBlockStartEvent)
    assert compaction.content_block == CompactionBlock(content=None)
    web = MESSAGE_EVENT_DECODER.decode(
        b'{"type":"content_block_start","index":0,"content_block":{"type":'
        b'"web_search_tool_result","tool_use_id":"s","content":[]}}'
    )
    assert isinstance(web, ContentBlockStartEvent)
    assert isinstance(web.content_block, WebSearchToolResultBlock)
