"""The event encoder: typed events → SSE bytes → the same typed events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import recording_params, recording_paths
from hypothesis import given
from hypothesis import strategies as st

import streamkit
from streamkit.events import (
    RESPONSE_EVENT_TYPES,
    ChatCompletionChunk,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChunkChoice,
    CompletionChunk,
    CompletionChunkChoice,
    Done,
    ErrorDetail,
    Event,
    ResponseErrorEvent,
    ResponseLogProb,
    ResponseOutputItemDoneEvent,
    ResponseTextDeltaEvent,
    StreamErrorEvent,
    UnknownEvent,
)
from streamkit.events._encoder import aencode_events, encode_event, encode_events
from streamkit.models import UnknownItem

PATHS = recording_paths()
RESPONSES = recording_paths("responses")
UNSET = msgspec.UNSET


def decode(data: bytes, api: streamkit.events.API = "auto") -> list[Event]:
    return list(streamkit.iter_events(data, api, errors="yield"))


def decode_frames(data: bytes) -> list[streamkit.SSEFrame]:
    return list(streamkit.io.iter_frames(data))


def delta(seq: int | msgspec.UnsetType = UNSET, text: str = "Hi") -> ResponseTextDeltaEvent:
    return ResponseTextDeltaEvent(
        item_id="msg_1", output_index=0, content_index=0, delta=text, sequence_number=seq
    )


def chat_chunk(content: str = "Hi") -> ChatCompletionChunk:
    return ChatCompletionChunk(
        id="c1",
        object="chat.completion.chunk",
        created=1,
        model="m",
        choices=[ChunkChoice(index=0, finish_reason=None, delta=ChoiceDelta(content=content))],
    )


def completion_chunk(text: str = "Hi") -> CompletionChunk:
    return CompletionChunk(
        id="c1",
        object="text_completion",
        created=1,
        model="m",
        choices=[CompletionChunkChoice(index=0, text=text, logprobs=None, finish_reason=None)],
    )


# -- recordings ---------------------------------------------------------------------------


@pytest.mark.recordings
@pytest.mark.parametrize("ids", [False, True], ids=["plain", "ids"])
@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_round_trip(path: Path, ids: bool) -> None:
    events = decode(path.read_bytes())
    assert events
    encoded = b"".join(encode_events(events, ids=ids))
    again = decode(encoded)
    assert again == events
    assert [msgspec.structs.asdict(e) for e in again] == [msgspec.structs.asdict(e) for e in events]
    # Encoding is a function of the events alone: a second pass gives the same bytes.
    assert b"".join(encode_events(again, ids=ids)) == encoded


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(RESPONSES))
def test_recording_frames_keep_event_names(path: Path) -> None:
    """Responses frames are named by their type, as the server names them."""
    original = decode_frames(path.read_bytes())
    events = decode(path.read_bytes())
    frames = decode_frames(b"".join(encode_events(events, ids=True)))
    assert len(frames) == len(original)
    for frame, event in zip(frames, events, strict=True):
        if isinstance(event, Done):
            assert frame.event == "message"
            continue
        assert frame.event == type(event).__struct_config__.tag
        seq = getattr(event, "sequence_number", UNSET)
        if seq is not UNSET:
            assert frame.id == str(seq)
    named = [f.event for f in original if f.event != "message"]
    if named:
        assert [f.event for f in frames if f.event != "message"] == named


# -- exact bytes --------------------------------------------------------------------------


def test_responses_event_bytes() -> None:
    assert encode_event(delta(3)) == (
        b"event: response.output_text.delta\n"
        b'data: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,'
        b'"content_index":0,"delta":"Hi","sequence_number":3}\n\n'
    )


def test_unset_fields_are_omitted() -> None:
    assert b"sequence_number" not in encode_event(delta())
    assert b"logprobs" not in encode_event(delta())


def test_chat_chunk_bytes() -> None:
    assert encode_event(chat_chunk()) == (
        b'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
    )


def test_completion_chunk_bytes() -> None:
    assert encode_event(completion_chunk()) == (
        b'data: {"id":"c1","object":"text_completion","created":1,"model":"m",'
        b'"choices":[{"index":0,"text":"Hi","logprobs":null,"finish_reason":null}]}\n\n'
    )


def test_done_bytes() -> None:
    assert encode_event(Done()) == b"data: [DONE]\n\n"
    assert encode_event(Done(), id="7") == b"id: 7\ndata: [DONE]\n\n"


def test_newlines_in_text_stay_inside_one_data_line() -> None:
    data = encode_event(delta(text="a\nb\r\nc"))
    assert data.count(b"\n") == 3
    assert decode(data) == [delta(text="a\nb\r\nc")]


def test_unknown_event_bytes() -> None:
    event = UnknownEvent(type="response.new_thing", raw=b'{"type":"response.new_thing","x":1}')
    expected = b'event: response.new_thing\ndata: {"type":"response.new_thing","x":1}\n\n'
    assert encode_event(event) == expected
    assert encode_event(event, api="responses") == expected
    assert encode_event(event, api="chat") == b'data: {"type":"response.new_thing","x":1}\n\n'
    assert decode(expected, "responses") == [event]


def test_unknown_event_raw_is_kept_verbatim() -> None:
    raw = b'{ "type" : "ping",  "n": 1.50 }'
    event = UnknownEvent(type="ping", raw=raw)
    assert encode_event(event, api="chat") == b"data: " + raw + b"\n\n"
    assert decode(encode_event(event), "responses") == [event]


def test_unknown_event_with_multiline_payload() -> None:
    event = UnknownEvent(type="ping", raw=b'{"type":\n"ping"}')
    data = encode_event(event)
    assert data == b'event: ping\ndata: {"type":\ndata: "ping"}\n\n'
    assert decode(data, "responses") == [event]


def test_unknown_event_type_that_cannot_be_a_name() -> None:
    event = UnknownEvent(type="a\nb", raw=b'{"type":"a\\nb"}')
    data = encode_event(event)
    assert data == b'data: {"type":"a\\nb"}\n\n'
    assert decode(data, "responses") == [event]


def test_unknown_item_is_written_as_the_server_sent_it() -> None:
    item = b'{"type":"brand_new_item","id":"x_1","status":"completed","nested":{"a":[1,2]}}'
    data = (
        b"event: response.output_item.done\n"
        b'data: {"type":"response.output_item.done","output_index":0,"item":' + item + b"}\n\n"
    )
    [event] = decode(data, "responses")
    assert isinstance(event, ResponseOutputItemDoneEvent)
    assert isinstance(event.item, UnknownItem)
    encoded = encode_event(event)
    assert item in encoded
    assert b"streamkit.unknown_item" not in encoded
    [again] = decode(encoded, "responses")
    assert isinstance(again, ResponseOutputItemDoneEvent)
    assert isinstance(again.item, UnknownItem)
    assert again.item.item_type == "brand_new_item"
    assert msgspec.json.decode(again.item.raw) == msgspec.json.decode(item)


def test_unknown_item_inside_a_response_snapshot() -> None:
    response = (
        b'{"id":"r","object":"response","created_at":1,"model":"m","error":null,'
        b'"incomplete_details":null,"parallel_tool_calls":true,"temperature":null,'
        b'"top_p":null,"instructions":null,"metadata":{},"tools":[],"tool_choice":"auto",'
        b'"output":[{"type":"brand_new_item","id":"x"},{"type":"message","id":"m1",'
        b'"status":"completed","role":"assistant","content":[]}]}'
    )
    data = b'data: {"type":"response.completed","response":' + response + b"}\n\n"
    [event] = decode(data, "responses")
    encoded = encode_event(event)
    assert b'{"type":"brand_new_item","id":"x"}' in encoded
    assert b"streamkit.unknown_item" not in encoded
    [again] = decode(encoded, "responses")
    out = again.response.output  # type: ignore[union-attr]
    assert isinstance(out[0], UnknownItem)
    assert out[1] == event.response.output[1]  # type: ignore[union-attr]


def test_stream_error_event_bytes() -> None:
    event = StreamErrorEvent(error=ErrorDetail(message="boom", type="server_error", code=500))
    plain = b'data: {"error":{"message":"boom","type":"server_error","code":500}}\n\n'
    assert encode_event(event) == plain
    assert encode_event(event, api="chat") == plain
    assert encode_event(event, api="responses") == b"event: error\n" + plain
    for api in ("auto", "chat", "completions", "responses"):
        assert decode(encode_event(event, api=api), api) == [event]


def test_stream_error_event_raises_like_the_original() -> None:
    event = StreamErrorEvent(error=ErrorDetail(message="boom"))
    with pytest.raises(streamkit.errors.APIStreamError, match="boom"):
        list(streamkit.iter_events(encode_event(event)))


def test_responses_error_event_is_named_error() -> None:
    event = ResponseErrorEvent(code="x", message="bad", param=None, sequence_number=4)
    data = encode_event(event)
    assert data.startswith(b'event: error\ndata: {"type":"error",')
    assert decode(data) == [event]


def test_explicit_id() -> None:
    assert encode_event(delta(1), id="abc").startswith(
        b"event: response.output_text.delta\nid: abc\ndata: {"
    )
    assert encode_event(chat_chunk(), id="9").startswith(b"id: 9\ndata: {")
    frames = decode_frames(encode_event(chat_chunk(), id="9"))
    assert [f.id for f in frames] == ["9"]


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_invalid_id_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        encode_event(delta(), id=bad)


def test_not_an_event() -> None:
    with pytest.raises(TypeError, match="not a streamkit event"):
        encode_event({"type": "x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_event(ChoiceDelta(content="x"))  # type: ignore[arg-type]


def test_bad_api() -> None:
    with pytest.raises(ValueError):
        encode_event(Done(), api="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        list(encode_events([Done()], api="nope"))  # type: ignore[arg-type]


# -- streams and ids ----------------------------------------------------------------------


def test_ids_follow_sequence_numbers() -> None:
    events: list[Event] = [delta(0), delta(), delta(2), Done()]
    frames = decode_frames(b"".join(encode_events(events, ids=True)))
    # An SSE id persists until replaced, so the UNSET event reports the last one.
    assert [f.id for f in frames] == ["0", "0", "2", "2"]
    plain = b"".join(encode_events(events))
    assert b"id:" not in plain
    assert [f.id for f in decode_frames(plain)] == ["", "", "", ""]


def test_ids_are_written_only_for_events_that_carry_one() -> None:
    out = list(encode_events([delta(5), delta(), chat_chunk(), Done()], ids=True))
    assert out[0].startswith(b"event: response.output_text.delta\nid: 5\n")
    assert b"id:" not in out[1] + out[2] + out[3]


def test_stream_api_decides_unknown_and_error_framing() -> None:
    unknown = UnknownEvent(type="ping", raw=b'{"type":"ping"}')
    error = StreamErrorEvent(error=ErrorDetail(message="x"))
    chat = list(encode_events([chat_chunk(), unknown, error]))
    assert chat[1] == b'data: {"type":"ping"}\n\n'
    assert chat[2].startswith(b"data: ")
    responses = list(encode_events([delta(0), unknown, error]))
    assert responses[1] == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert responses[2].startswith(b"event: error\ndata: ")
    completions = list(encode_events([completion_chunk(), unknown]))
    assert completions[1] == b'data: {"type":"ping"}\n\n'
    # An explicit api wins over what the stream shows.
    forced = list(encode_events([chat_chunk(), unknown], api="responses"))
    assert forced[1].startswith(b"event: ping\n")


def test_encode_events_is_lazy() -> None:
    def events() -> Iterator[Event]:
        yield delta(0)
        raise RuntimeError("source failed")

    out = encode_events(events())
    assert next(out).startswith(b"event: ")
    with pytest.raises(RuntimeError, match="source failed"):
        next(out)


async def agen(events: Iterable[Event]) -> AsyncIterator[Event]:
    for event in events:
        yield event


@pytest.mark.anyio
async def test_aencode_events_matches_encode_events() -> None:
    events: list[Event] = [delta(0), delta(1, "é\n"), chat_chunk(), Done()]
    out = [chunk async for chunk in aencode_events(agen(events), ids=True)]
    assert out == list(encode_events(events, ids=True))


@pytest.mark.anyio
@pytest.mark.recordings
async def test_aencode_events_over_a_recording() -> None:
    path = RESPONSES[0]
    events = decode(path.read_bytes())
    encoded = [c async for c in aencode_events(streamkit.aiter_events(path, errors="yield"))]
    assert decode(b"".join(encoded)) == events


# -- properties -----------------------------------------------------------------------------

ints = st.integers(min_value=0, max_value=2**53)
texts = st.text(max_size=40)
unset_or = st.just(UNSET).__or__
floats = st.floats(allow_nan=False, allow_infinity=False)

text_deltas = st.builds(
    ResponseTextDeltaEvent,
    item_id=texts,
    output_index=ints,
    content_index=ints,
    delta=texts,
    logprobs=unset_or(
        st.lists(st.builds(ResponseLogProb, token=texts, logprob=floats), max_size=3)
    ),
    obfuscation=unset_or(texts),
    sequence_number=unset_or(ints),
)

tool_calls = st.builds(
    ChoiceDeltaToolCall,
    index=ints,
    id=unset_or(texts),
    type=unset_or(st.just("function")),
    function=unset_or(
        st.builds(ChoiceDeltaToolCallFunction, name=unset_or(texts), arguments=unset_or(texts))
    ),
)
chat_chunks = st.builds(
    ChatCompletionChunk,
    id=texts,
    object=st.just("chat.completion.chunk"),
    created=ints,
    model=texts,
    choices=st.lists(
        st.builds(
            ChunkChoice,
            index=ints,
            finish_reason=st.none() | texts,
            delta=st.builds(
                ChoiceDelta,
                role=unset_or(st.just("assistant")),
                content=unset_or(st.none() | texts),
                refusal=unset_or(st.none() | texts),
                tool_calls=unset_or(st.lists(tool_calls, max_size=2)),
            ),
        ),
        min_size=1,
        max_size=3,
    ),
    system_fingerprint=unset_or(st.none() | texts),
    obfuscation=unset_or(texts),
)
completion_chunks = st.builds(
    CompletionChunk,
    id=texts,
    object=st.just("text_completion"),
    created=ints,
    model=texts,
    choices=st.lists(
        st.builds(
            CompletionChunkChoice,
            index=ints,
            text=texts,
            logprobs=st.none(),
            finish_reason=st.none() | texts,
        ),
        min_size=1,
        max_size=3,
    ),
)
json_values = st.recursive(
    st.none() | st.booleans() | ints | floats | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10,
)


@st.composite
def unknown_events(draw: st.DrawFn) -> UnknownEvent:
    # Known types, chunk fields and error payloads decode as something else.
    kind = draw(texts.filter(lambda t: t.isprintable() and t not in RESPONSE_EVENT_TYPES))
    keys = texts.filter(lambda k: k not in ("type", "choices", "error"))
    body: dict[str, Any] = draw(st.dictionaries(keys, json_values, max_size=4))
    body["type"] = kind
    return UnknownEvent(type=kind, raw=msgspec.json.encode(body))


@given(st.lists(text_deltas, min_size=1, max_size=5), st.booleans())
def test_text_deltas_round_trip(events: list[Event], ids: bool) -> None:
    assert decode(b"".join(encode_events(events, ids=ids)), "responses") == events


@given(st.lists(chat_chunks, min_size=1, max_size=4))
def test_chat_chunks_round_trip(events: list[Event]) -> None:
    data = b"".join(encode_events([*events, Done()]))
    assert decode(data, "chat") == [*events, Done()]
    assert decode(data) == [*events, Done()]


@given(st.lists(completion_chunks, min_size=1, max_size=4))
def test_completion_chunks_round_trip(events: list[Event]) -> None:
    assert decode(b"".join(encode_events(events)), "completions") == events


@given(unknown_events(), st.sampled_from(["auto", "responses", "chat"]))
def test_unknown_events_round_trip(event: UnknownEvent, api: streamkit.events.API) -> None:
    data = encode_event(event, api=api)
    assert decode_frames(data)[0].data == event.raw
    decoded_as: streamkit.events.API = "chat" if api == "chat" else "responses"
    assert decode(data, decoded_as) == [event]
