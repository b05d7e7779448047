"""Frames → typed events: detection, tolerance, errors, [DONE], filtering."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import msgspec
import pytest
from helpers import chunkings, recording_params, recording_paths

import streamkit
from streamkit import aiter_events, iter_events
from streamkit.errors import (
    APIMismatchError,
    APIStreamError,
    EventDecodeError,
    UnexpectedEventError,
    UnknownEventError,
)
from streamkit.events import (
    ChatCompletionChunk,
    CompletionChunk,
    Done,
    EventDecoder,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseOutputItemAddedEvent,
    ResponseTextDeltaEvent,
    StreamErrorEvent,
    UnknownEvent,
)
from streamkit.io import iter_frame_events
from streamkit.models import UnknownItem

PATHS = recording_paths()


def sse(*payloads: object, named: bool = True) -> bytes:
    """An SSE body from JSON-able payloads (``event:`` = their type when named)."""
    out = []
    for p in payloads:
        if isinstance(p, bytes):
            out.append(b"data: " + p + b"\n\n")
            continue
        head = f"event: {p['type']}\n" if named and isinstance(p, dict) and "type" in p else ""
        out.append(f"{head}data: {json.dumps(p)}\n\n".encode())
    return b"".join(out)


def delta(i: int, text: str = "hi") -> dict[str, object]:
    return {
        "type": "response.output_text.delta",
        "sequence_number": i,
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": text,
        "logprobs": [],
    }


def chunk(content: str, *, obj: str = "chat.completion.chunk") -> dict[str, object]:
    return {
        "id": "chatcmpl-1",
        "object": obj,
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }


COMPLETION_CHUNK = {
    "id": "cmpl-1",
    "object": "text_completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "text": "hi", "logprobs": None, "finish_reason": None}],
}


# -- every recording ---------------------------------------------------------------


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_every_recording_decodes_under_every_chunking(path: Path) -> None:
    data = path.read_bytes()
    api = "chat" if path.parent.name == "chat" else "responses"
    reference = None
    for _, chunks in chunkings(data, bytewise=False):
        events = list(iter_events(chunks, api="auto", errors="yield"))
        assert events
        assert not any(isinstance(e, UnknownEvent) for e in events)
        if reference is None:
            reference = events
            # Every frame became one event (none lost, none invented).
            frames = list(streamkit.io.iter_frames(data))
            done = [bytes(f.data) for f in frames].count(b"[DONE]")
            assert len(events) == len(frames) - max(0, done - 1)
        assert events == reference
    kinds = {type(e) for e in reference}
    if api == "chat":
        assert kinds <= {ChatCompletionChunk, Done, StreamErrorEvent}
    else:
        # OpenRouter ends even Responses streams with [DONE].
        assert all(
            type(e).__module__ == "streamkit.events.responses"
            for e in reference
            if type(e) is not Done
        )
    dec = EventDecoder("auto", errors="yield")
    for frame in streamkit.io.iter_frames(data):
        dec.decode(frame)
    assert dec.api == api


# -- detection and mismatches ----------------------------------------------------------


def test_auto_detects_each_api() -> None:
    dec = EventDecoder()
    assert isinstance(dec.decode(_frame(sse(delta(0)))), ResponseTextDeltaEvent)
    assert dec.api == "responses"
    dec = EventDecoder()
    assert isinstance(dec.decode(_frame(sse(chunk("a")))), ChatCompletionChunk)
    assert dec.api == "chat"
    dec = EventDecoder()
    assert isinstance(dec.decode(_frame(sse(COMPLETION_CHUNK))), CompletionChunk)
    assert dec.api == "completions"


def test_ambiguous_first_chunk_waits_for_a_decisive_one() -> None:
    azure_filter = {"id": "", "object": "", "created": 0, "model": "", "choices": []}
    events = list(iter_events(sse(azure_filter, COMPLETION_CHUNK, b"[DONE]")))
    assert [type(e) for e in events] == [ChatCompletionChunk, CompletionChunk, Done]


def test_responses_stream_parsed_as_chat_is_a_clear_error() -> None:
    with pytest.raises(APIMismatchError, match="responses stream.*api='responses'") as info:
        list(iter_events(sse(delta(0)), api="chat"))
    assert info.value.index == 0
    assert info.value.excerpt.startswith(b'{"type": "response.output_text.delta"')


def test_chat_stream_parsed_as_responses_is_a_clear_error() -> None:
    got = []
    with pytest.raises(APIMismatchError, match="chat stream"):
        for event in iter_events(sse(chunk("a")), api="responses"):
            got.append(event)
    assert got == []


def test_completions_stream_parsed_as_chat_is_a_clear_error() -> None:
    with pytest.raises(APIMismatchError, match="completions stream"):
        list(iter_events(sse(COMPLETION_CHUNK), api="chat"))
    with pytest.raises(APIMismatchError, match="chat stream"):
        list(iter_events(sse(chunk("a")), api="completions"))


def test_invalid_api_name() -> None:
    with pytest.raises(ValueError):
        EventDecoder("anthropic")  # type: ignore[arg-type]


# -- tolerance ------------------------------------------------------------------------------


def test_unknown_event_type_is_passed_through_in_order() -> None:
    novel = {"type": "response.hologram.delta", "sequence_number": 1, "x": [1, 2]}
    events = list(iter_events(sse(delta(0), novel, delta(2))))
    assert [type(e) for e in events] == [
        ResponseTextDeltaEvent,
        UnknownEvent,
        ResponseTextDeltaEvent,
    ]
    unknown = events[1]
    assert isinstance(unknown, UnknownEvent)
    assert unknown.type == "response.hologram.delta"
    assert json.loads(unknown.raw) == novel


def test_unknown_event_type_in_strict_mode() -> None:
    novel = {"type": "response.hologram.delta", "sequence_number": 1}
    got = []
    with pytest.raises(UnknownEventError) as info:
        for event in iter_events(sse(delta(0), novel), strict=True):
            got.append(event)
    assert len(got) == 1
    assert info.value.index == 1 and info.value.event_type == "response.hologram.delta"


def test_keepalive_decodes() -> None:
    (event,) = iter_events(sse({"type": "keepalive", "sequence_number": 3}), api="responses")
    assert type(event).__name__ == "ResponseKeepaliveEvent"


def test_unknown_item_kind_becomes_unknown_item() -> None:
    added = {
        "type": "response.output_item.added",
        "sequence_number": 1,
        "output_index": 0,
        "item": {"type": "teleport_call", "id": "tp_1", "destination": "mars"},
    }
    (event,) = iter_events(sse(added), api="responses")
    assert isinstance(event, ResponseOutputItemAddedEvent)
    assert isinstance(event.item, UnknownItem)
    assert event.item.type == "teleport_call"
    assert json.loads(bytes(event.item.raw)) == added["item"]


def test_unknown_chat_payload_with_a_type_is_passed_through() -> None:
    events = list(iter_events(sse(chunk("a"), {"type": "ping"}, chunk("b")), api="chat"))
    assert [type(e) for e in events] == [ChatCompletionChunk, UnknownEvent, ChatCompletionChunk]


def test_unknown_fields_are_ignored_and_raw_stays_reachable() -> None:
    payload = delta(0) | {"brand_new_field": {"nested": True}}
    body = sse(payload)
    ((frame, event),) = iter_frame_events(body)
    assert isinstance(event, ResponseTextDeltaEvent) and event.delta == "hi"
    assert json.loads(bytes(frame.data)) == payload


# -- [DONE] ---------------------------------------------------------------------------------


def test_done_ends_a_chat_stream_and_later_frames_are_ignored() -> None:
    events = list(iter_events(sse(chunk("a"), b"[DONE]", chunk("late"))))
    assert [type(e) for e in events] == [ChatCompletionChunk, Done]


def test_frames_after_done_are_reported_in_strict_mode() -> None:
    got = []
    with pytest.raises(UnexpectedEventError) as info:
        for event in iter_events(sse(chunk("a"), b"[DONE]", chunk("late")), strict=True):
            got.append(event)
    assert [type(e) for e in got] == [ChatCompletionChunk, Done]
    assert info.value.index == 2


def test_done_must_be_exact() -> None:
    with pytest.raises(EventDecodeError, match="invalid JSON"):
        list(iter_events(sse(chunk("a"), b"[DONE] "), api="chat"))


# -- errors --------------------------------------------------------------------------------


def test_error_event_raises_after_earlier_events() -> None:
    error = {
        "type": "error",
        "sequence_number": 1,
        "code": "server_error",
        "message": "boom",
        "param": None,
    }
    got = []
    with pytest.raises(APIStreamError) as info:
        for event in iter_events(sse(delta(0), error, delta(2))):
            got.append(event)
    assert len(got) == 1
    err = info.value
    assert (err.code, err.server_message, err.index, err.event_type) == (
        "server_error",
        "boom",
        1,
        "error",
    )
    assert isinstance(err.event, ResponseErrorEvent)
    assert "boom" in str(err) and "event #1" in str(err)


def test_error_event_can_be_yielded() -> None:
    error = {"type": "error", "sequence_number": 1, "code": "x", "message": "boom", "param": None}
    events = list(iter_events(sse(delta(0), error, delta(2)), errors="yield"))
    assert [type(e) for e in events] == [
        ResponseTextDeltaEvent,
        ResponseErrorEvent,
        ResponseTextDeltaEvent,
    ]


def test_chat_error_payload() -> None:
    body = sse(
        chunk("a"), {"error": {"message": "overloaded", "type": "server_error", "code": 503}}
    )
    got = []
    with pytest.raises(APIStreamError) as info:
        for event in iter_events(body):
            got.append(event)
    assert len(got) == 1
    assert (info.value.code, info.value.type, info.value.index) == (503, "server_error", 1)
    events = list(iter_events(body, errors="yield"))
    assert isinstance(events[1], StreamErrorEvent)


def test_error_payload_as_first_frame() -> None:
    with pytest.raises(APIStreamError, match="quota"):
        list(iter_events(sse({"error": {"message": "quota exceeded"}})))


@pytest.mark.recordings
def test_response_failed_raises_with_the_server_error() -> None:
    failed = [p for p in PATHS if "resp-failed" in p.name]
    assert failed, "no recording of a failed response"
    events = list(iter_events(failed[0], errors="yield"))
    assert any(type(e).__name__ in ("ResponseFailedEvent", "ResponseErrorEvent") for e in events)
    with pytest.raises(APIStreamError):
        list(iter_events(failed[0]))


def test_invalid_json_names_index_event_and_excerpt() -> None:
    body = sse(delta(0)) + b"event: response.output_text.delta\ndata: {not json\n\n"
    got = []
    with pytest.raises(EventDecodeError) as info:
        for event in iter_events(body):
            got.append(event)
    assert len(got) == 1
    err = info.value
    assert err.index == 1 and err.event_type == "response.output_text.delta"
    assert err.excerpt == b"{not json"
    assert "invalid JSON" in str(err) and "event #1" in str(err) and "{not json" in str(err)


def test_wrong_shape_is_a_decode_error() -> None:
    bad = delta(0) | {"output_index": "zero"}
    with pytest.raises(EventDecodeError, match="does not match"):
        list(iter_events(sse(bad)))
    with pytest.raises(EventDecodeError, match="not a chat.completion.chunk"):
        list(
            iter_events(
                sse({"id": "x", "object": "chat.completion.chunk", "choices": 3}), api="chat"
            )
        )


def test_payload_without_type_in_a_responses_stream() -> None:
    with pytest.raises(EventDecodeError, match="no `type`"):
        list(iter_events(sse({"hello": 1}), api="responses"))


# -- selective decoding ----------------------------------------------------------------------


def test_types_filter_skips_other_events() -> None:
    items = [delta(0), {"type": "response.hologram", "sequence_number": 1}, delta(2)]
    body = sse(*items)
    events = list(iter_events(body, types={"response.hologram"}))
    assert [type(e) for e in events] == [UnknownEvent]
    events = list(iter_events(sse(*items, named=False), types={"response.output_text.delta"}))
    assert [e.sequence_number for e in events] == [0, 2]  # type: ignore[union-attr]


def test_types_filter_never_hides_errors() -> None:
    error = {"type": "error", "sequence_number": 1, "message": "boom"}
    with pytest.raises(APIStreamError):
        list(iter_events(sse(delta(0), error), types={"response.completed"}))


def test_types_filter_does_not_decode_skipped_payloads() -> None:
    # A skipped event is not decoded at all, so even a malformed one passes.
    body = sse(delta(0)) + b"event: response.output_text.delta\ndata: {broken\n\n"
    assert list(iter_events(body, types={"response.completed"})) == []


@pytest.mark.recordings
def test_types_filter_on_recordings_equals_full_decode_filtered() -> None:
    compared = 0
    for path in [p for p in PATHS if p.parent.name == "responses"][:20]:
        full = [
            e for e in iter_events(path, errors="yield") if isinstance(e, ResponseCompletedEvent)
        ]
        only = list(iter_events(path, errors="yield", types={"response.completed"}))
        assert only == full
        compared += len(full)
    assert compared >= 10


# -- async -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_aiter_events_matches_sync() -> None:
    body = sse(delta(0), delta(1), {"type": "response.unknown"}, delta(3))

    async def source():  # type: ignore[no-untyped-def]
        for i in range(0, len(body), 7):
            await anyio.sleep(0)
            yield body[i : i + 7]

    got = [e async for e in aiter_events(source())]
    assert got == list(iter_events(body))


@pytest.mark.anyio
async def test_aiter_events_error_after_events() -> None:
    body = sse(chunk("a"), {"error": {"message": "bad"}})
    got = []
    with pytest.raises(APIStreamError):
        async for event in aiter_events(body):
            got.append(event)
    assert len(got) == 1


def _frame(body: bytes) -> streamkit.SSEFrame:
    (frame,) = streamkit.io.iter_frames(body)
    return frame


def test_decoded_events_encode_back() -> None:
    event = next(iter_events(sse(delta(0, "h\u00e9"))))
    assert json.loads(msgspec.json.encode(event)) == delta(0, "h\u00e9")
