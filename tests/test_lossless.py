"""Lossless mode: no field a server sent is lost between decoding and encoding.

Every recording round-trips (decode → encode gives the payload back, as JSON
and byte for byte) at several chunkings; unknown keys injected at any depth of
generated streams survive a round trip, also when the event is modified; final
objects carry the extra fields of the server's final object.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import chunkings, recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit.events import (
    ChatCompletionChunk,
    Done,
    EventDecoder,
    MessageStartEvent,
    ResponseTextDeltaEvent,
    UnknownEvent,
    encode_event,
    extra_fields,
    raw_payload,
    replace,
)
from streamkit.io import iter_events, iter_frame_events
from streamkit.sse import SSEDecoder
from streamkit.testing import chat_stream, messages_stream, responses_stream

FOLDERS = ("responses", "chat", "chat-compatible", "messages")
ALL = [p for d in FOLDERS for p in recording_paths(d)]


def _payloads(data: bytes) -> list[bytes]:
    """Each frame's payload, by the SSE layer alone."""
    dec = SSEDecoder()
    frames = [*dec.feed(data), *dec.close()]
    return [bytes(f.data) for f in frames]


def _data_of(frame_bytes: bytes) -> bytes:
    """The payload of one encoded frame."""
    dec = SSEDecoder()
    (frame,) = [*dec.feed(frame_bytes), *dec.close()]
    return bytes(frame.data)


# -- every recording ------------------------------------------------------------------


@pytest.mark.parametrize("path", recording_params(ALL))
def test_every_recording_round_trips_losslessly(path: Path) -> None:
    data = path.read_bytes()
    payloads = [p for p in _payloads(data) if p != b"[DONE]"]
    compared = 0
    for plan, chunks in chunkings(data, bytewise=False):
        events = [
            e for e in iter_events(chunks, lossless=True, errors="yield") if not isinstance(e, Done)
        ]
        assert len(events) == len(payloads), plan
        for event, payload in zip(events, payloads, strict=True):
            assert not isinstance(event, UnknownEvent) or event.raw == payload
            sent = _data_of(encode_event(event))
            assert sent == payload, (plan, type(event).__name__)
            assert msgspec.json.decode(sent) == msgspec.json.decode(payload)
            if not isinstance(event, UnknownEvent):
                assert raw_payload(event) == payload
            compared += 1
    assert compared >= 3 * len(payloads) > 0


@pytest.mark.parametrize("path", recording_params(ALL))
def test_lossless_events_equal_the_default_ones(path: Path) -> None:
    data = path.read_bytes()
    plain = list(iter_events([data], errors="yield"))
    kept = list(iter_events([data], lossless=True, errors="yield"))
    assert plain == kept and plain
    assert all(raw_payload(e) is None and extra_fields(e) == {} for e in plain)


@pytest.mark.parametrize("path", recording_params(ALL))
def test_modified_recorded_events_keep_every_other_field(path: Path) -> None:
    """Changing one declared field changes that field only."""
    data = path.read_bytes()
    changed = 0
    for frame, event in iter_frame_events([data], errors="yield"):
        if isinstance(event, Done | UnknownEvent):
            continue
        loaded = _events_from(frame.data, event)
        field = _a_scalar_field(event)
        if field is None:  # e.g. response.created without a sequence number
            continue
        attr, enc, value = field
        copy = replace(loaded, **{attr: value})
        got = msgspec.json.decode(_data_of(encode_event(copy)))
        want = msgspec.json.decode(bytes(frame.data))
        want[enc] = value
        assert got == want, type(event).__name__
        changed += 1
    assert changed > 0


def _events_from(payload: Any, like: Any) -> Any:
    api = (
        "chat"
        if isinstance(like, ChatCompletionChunk)
        else "messages"
        if type(like).__module__.endswith("messages")
        else "auto"
    )
    dec = EventDecoder(api, lossless=True, errors="yield")
    frame_bytes = b"data: " + bytes(payload).replace(b"\n", b"\ndata: ") + b"\n\n"
    (event,) = [e for e in iter_events([frame_bytes], event_decoder=dec)]
    return event


def _a_string_field(event: Any) -> tuple[str, str] | None:
    for f in msgspec.structs.fields(event):
        if f.name != "type" and isinstance(getattr(event, f.name), str):
            return f.name, f.encode_name
    return None


def _a_scalar_field(event: Any) -> tuple[str, str, Any] | None:
    """A declared string or integer field and a new value for it."""
    for f in msgspec.structs.fields(event):
        value = getattr(event, f.name)
        if f.name == "type" or isinstance(value, bool):
            continue
        if isinstance(value, str):
            return f.name, f.encode_name, "changed"
        if isinstance(value, int):
            return f.name, f.encode_name, value + 12345
    return None


# -- unknown keys at any depth ---------------------------------------------------------

STREAMS = {
    "responses": lambda seed: responses_stream(
        seed=seed, text_words=8, tool_calls=1, reasoning=True
    ),
    "chat": lambda seed: chat_stream(seed=seed, text_words=8, tool_calls=1),
    "messages": lambda seed: messages_stream(seed=seed, text_words=8, tool_calls=1, thinking=True),
}


def _inject(obj: Any, rng: random.Random, made: list[str]) -> Any:
    """``obj`` with new keys added to some of its objects, at every depth."""
    if isinstance(obj, dict):
        out = {k: _inject(v, rng, made) for k, v in obj.items()}
        if rng.random() < 0.5:
            key = f"x_new_{len(made)}"
            made.append(key)
            out[key] = rng.choice([1, 2.5, "s", None, True, [1, {"a": []}], {"deep": {"x": [0]}}])
        return out
    if isinstance(obj, list):
        return [_inject(v, rng, made) for v in obj]
    return obj


def _with_unknown_keys(data: bytes, seed: int) -> tuple[bytes, list[dict[str, Any]], int]:
    rng = random.Random(seed)
    out, objs, made = [], [], []
    dec = SSEDecoder()
    for frame in [*dec.feed(data), *dec.close()]:
        if frame.data == b"[DONE]":
            out.append(b"data: [DONE]\n\n")
            continue
        obj = _inject(msgspec.json.decode(frame.data), rng, made)
        objs.append(obj)
        name = b"" if frame.event == "message" else b"event: " + frame.event.encode() + b"\n"
        out.append(name + b"data: " + msgspec.json.encode(obj) + b"\n\n")
    return b"".join(out), objs, len(made)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    api=st.sampled_from(sorted(STREAMS)),
    seed=st.integers(0, 10_000),
    cut_seed=st.integers(0, 10_000),
)
def test_unknown_keys_at_any_depth_survive_a_round_trip(api: str, seed: int, cut_seed: int) -> None:
    data, objs, made = _with_unknown_keys(STREAMS[api](seed), seed)
    assert made > 0
    rng = random.Random(cut_seed)
    cuts = sorted(rng.sample(range(1, len(data)), min(40, len(data) - 1)))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    events = [e for e in iter_events(chunks, api=api, lossless=True) if not isinstance(e, Done)]
    assert len(events) == len(objs)
    for event, obj in zip(events, objs, strict=True):
        assert msgspec.json.decode(_data_of(encode_event(event))) == obj
        field = _a_string_field(event)
        if field is not None:  # modified: the unknown keys stay, the change shows
            attr, enc = field
            got = msgspec.json.decode(_data_of(encode_event(replace(event, **{attr: "zz"}))))
            assert got == {**obj, enc: "zz"}


def test_extra_fields_reads_unknown_top_level_fields_once() -> None:
    payload = (
        b'{"type":"response.output_text.delta","sequence_number":1,"item_id":"m",'
        b'"output_index":0,"content_index":0,"delta":"hi","novel":{"a":[1,2]},"n":7}'
    )
    (event,) = iter_events([b"data: " + payload + b"\n\n"], api="responses", lossless=True)
    assert isinstance(event, ResponseTextDeltaEvent)
    extra = extra_fields(event)
    assert extra == {"novel": {"a": [1, 2]}, "n": 7}
    assert extra_fields(event) is extra  # parsed once
    assert raw_payload(event) == payload


def test_plain_replace_drops_the_payload_and_says_what_it_has() -> None:
    (event,) = iter_events(
        [
            b'data: {"type":"message_start","message":{"id":"m","type":"message","role":'
            b'"assistant","model":"c","content":[],"stop_reason":null,"usage":'
            b'{"input_tokens":1,"output_tokens":0},"tier":"gold"}}\n\n'
        ],
        api="messages",
        lossless=True,
    )
    assert isinstance(event, MessageStartEvent)
    copy = msgspec.structs.replace(event, message=event.message)
    assert raw_payload(copy) is None
    assert "gold" not in encode_event(copy).decode()
    assert "gold" in encode_event(replace(event, message=event.message)).decode()


def test_event_decoder_argument_conflicts_with_lossless() -> None:
    with pytest.raises(TypeError):
        list(iter_events([b"data: {}\n\n"], event_decoder=EventDecoder(), lossless=True))


# -- final objects ---------------------------------------------------------------------


def _final_extras(api: str, seed: int) -> tuple[Any, list[dict[str, Any]]]:
    data, objs, _ = _with_unknown_keys(STREAMS[api](seed), seed)
    return streamkit.reduce([data], api=api, lossless=True), objs  # type: ignore[call-overload]


@pytest.mark.parametrize("seed", range(5))
def test_final_chat_completion_has_the_chunks_extra_fields(seed: int) -> None:
    final, objs = _final_extras("chat", seed)
    want: dict[str, Any] = {}
    declared = {f.encode_name for f in msgspec.structs.fields(ChatCompletionChunk)}
    for obj in objs:
        want.update({k: v for k, v in obj.items() if k not in declared})
    assert extra_fields(final) == want


@pytest.mark.parametrize("seed", range(5))
def test_final_response_has_the_final_response_objects_extra_fields(seed: int) -> None:
    final, objs = _final_extras("responses", seed)
    last = [o["response"] for o in objs if isinstance(o.get("response"), dict)][-1]
    declared = {f.encode_name for f in msgspec.structs.fields(type(final))}
    assert extra_fields(final) == {k: v for k, v in last.items() if k not in declared}


@pytest.mark.parametrize("seed", range(5))
def test_final_message_has_the_message_objects_extra_fields(seed: int) -> None:
    final, objs = _final_extras("messages", seed)
    declared = {f.encode_name for f in msgspec.structs.fields(type(final))} | {"type"}
    start = next(o["message"] for o in objs if o.get("type") == "message_start")
    want = {k: v for k, v in start.items() if k not in declared}
    for obj in objs:
        if obj.get("type") == "message_delta":
            want.update({k: v for k, v in obj["delta"].items() if k not in declared})
    assert extra_fields(final) == want


def test_default_reduce_keeps_nothing() -> None:
    data, _, _ = _with_unknown_keys(STREAMS["chat"](1), 1)
    assert extra_fields(streamkit.reduce([data], api="chat")) == {}


def test_partial_of_a_failed_stream_keeps_its_extra_fields() -> None:
    data, objs, _ = _with_unknown_keys(STREAMS["chat"](2), 2)
    cut = data[: data.index(b"data: [DONE]")] + b"data: {not json}\n\n"
    with pytest.raises(streamkit.StreamError) as info:
        streamkit.reduce([cut], api="chat", lossless=True, strict=True)
    partial = info.value.partial
    assert partial is not None
    declared = {f.encode_name for f in msgspec.structs.fields(ChatCompletionChunk)}
    want: dict[str, Any] = {}
    for obj in objs:
        want.update({k: v for k, v in obj.items() if k not in declared})
    assert extra_fields(partial) == want


# -- over HTTP -------------------------------------------------------------------------


def _client(body: bytes) -> Any:
    import httpx

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return httpx.Client(transport=httpx.MockTransport(answer))


def test_http_stream_and_reduce_keep_what_the_server_sent() -> None:
    import streamkit.http

    data, objs, _ = _with_unknown_keys(STREAMS["chat"](3), 3)
    with (
        _client(data) as client,
        streamkit.http.stream(
            client, "POST", "http://test/v1/chat/completions", lossless=True
        ) as events,
    ):
        got = [e for e in events if not isinstance(e, Done)]
    assert [msgspec.json.decode(raw_payload(e) or b"") for e in got] == objs
    with _client(data) as client:
        final = streamkit.http.reduce(
            client, "POST", "http://test/v1/chat/completions", lossless=True
        )
    declared = {f.encode_name for f in msgspec.structs.fields(ChatCompletionChunk)}
    want: dict[str, Any] = {}
    for obj in objs:
        want.update({k: v for k, v in obj.items() if k not in declared})
    assert extra_fields(final) == want
    with _client(data) as client:
        plain = streamkit.http.reduce(client, "POST", "http://test/v1/chat/completions")
    assert extra_fields(plain) == {} and plain == final
