"""Anthropic Messages streams through every layer: detection, the shared event
decoder, encoding, ``streamkit.reduce``, the small reducers' finished events, the
tee, and the HTTP helpers against the replay server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from helpers import chunkings, recording_params, recording_paths
from servers import AsyncInProcess, InProcess

import streamkit
import streamkit.http as sh
from streamkit import Message, MessageReducer, SSEDecoder
from streamkit.errors import APIMismatchError, APIStreamError, IncompleteStreamError
from streamkit.events import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    EventDecoder,
    MessageErrorEvent,
    MessageStartEvent,
    ResponseErrorEvent,
    UnknownDelta,
)
from streamkit.models import UnknownBlock
from streamkit.reducers import TextDone, ThinkingDone, ToolCallDone
from streamkit.testing import messages_stream
from streamkit.testing.replay import ReplayApp

PATHS = recording_paths("messages")


def _fold(events: list[Any]) -> Message:
    reducer = MessageReducer(index_policy="ignore")
    for event in events:
        reducer.step(event)
    return reducer.finish()


def _sse(*payloads: dict[str, Any]) -> bytes:
    return b"".join(f"event: {p['type']}\ndata: {json.dumps(p)}\n\n".encode() for p in payloads)


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
_ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


# --- every recording, end to end ---------------------------------------------------------


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_reduce_detects_messages_and_equals_the_reducer(path: Path) -> None:
    data = path.read_bytes()
    expected = _fold(list(streamkit.iter_events(data, "messages", errors="yield")))
    for _name, chunks in chunkings(data, bytewise=False):
        message = streamkit.reduce(chunks)
        assert isinstance(message, Message)
        assert message == expected
        assert message.verdict == expected.verdict


@pytest.mark.anyio
@pytest.mark.parametrize("path", recording_params(PATHS))
async def test_areduce_detects_messages(path: Path, anyio_backend: str) -> None:
    data = path.read_bytes()
    message = await streamkit.areduce([data[i : i + 97] for i in range(0, len(data), 97)])
    assert isinstance(message, Message)
    assert message == streamkit.reduce(data, "messages")


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_iter_events_detects_messages_at_every_chunking(path: Path) -> None:
    data = path.read_bytes()
    expected = list(streamkit.iter_events(data, "messages", strict=True))
    assert isinstance(expected[0], MessageStartEvent)
    for _name, chunks in chunkings(data, bytewise=len(data) < 5000, seed=3):
        decoder = EventDecoder()
        events = list(streamkit.iter_events(chunks, strict=True, event_decoder=decoder))
        assert events == expected
        assert decoder.api == "messages"


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_encode_round_trip(path: Path) -> None:
    events = list(streamkit.iter_events(path, errors="yield"))
    encoded = b"".join(streamkit.encode_events(events))
    assert list(streamkit.iter_events(encoded, errors="yield")) == events
    # Framed as Anthropic's server frames them: every event named by its type.
    sse = SSEDecoder()
    frames = [*sse.feed(encoded), *sse.close()]
    assert [f.event for f in frames] == [streamkit.events.event_type(e) for e in events]
    # Blocks and deltas of unknown kinds are written as the JSON they came as.
    originals = [json.loads(bytes(f.data)) for f in streamkit.io.iter_frames(path)]
    for event, frame, original in zip(events, frames, originals, strict=True):
        again = json.loads(bytes(frame.data))
        if isinstance(event, ContentBlockStartEvent) and isinstance(
            event.content_block, UnknownBlock
        ):
            assert again["content_block"] == original["content_block"]
        if isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, UnknownDelta):
            assert again["delta"] == original["delta"]


@pytest.mark.recordings
def test_unknown_block_is_written_raw() -> None:
    path = next((p for p in PATHS if p.name == "anthropic-sdk__fallback__1.sse"), None)
    assert path is not None, "no recording with a block of an unknown kind"
    starts = [
        e
        for e in streamkit.iter_events(path)
        if isinstance(e, ContentBlockStartEvent) and isinstance(e.content_block, UnknownBlock)
    ]
    assert starts, "the fallback block is expected to be of a kind streamkit does not type"
    frame = streamkit.events.encode_event(starts[0])
    assert frame.startswith(b"event: content_block_start\ndata: ")
    payload = json.loads(frame.split(b"data: ", 1)[1])
    assert payload["content_block"]["type"] == "fallback"
    assert "streamkit" not in frame.decode()


@pytest.mark.recordings
def test_strict_reduce_of_a_max_tokens_stop() -> None:
    path = next((p for p in PATHS if p.name == "anthropic-sdk__max-tokens__1.sse"), None)
    assert path is not None, "no max_tokens recording"
    with pytest.raises(IncompleteStreamError, match="max_tokens") as info:
        streamkit.reduce(path, strict=True)
    assert isinstance(info.value.partial, Message)


@pytest.mark.recordings
def test_iter_finished_reports_text_thinking_and_tools() -> None:
    for path in PATHS:
        finished = list(streamkit.io.iter_finished(path))
        reducer = MessageReducer(index_policy="ignore")
        expected = []
        for event in streamkit.iter_events(path, errors="yield"):
            reducer.step(event)
            expected += reducer.take_finished()
        assert finished == expected, path.name
    kinds = {type(f) for p in PATHS for f in streamkit.io.iter_finished(p)}
    assert kinds == {TextDone, ThinkingDone, ToolCallDone}


def test_tee_folds_a_messages_stream() -> None:
    data = messages_stream(seed=9, tool_calls=2, thinking=True)
    tee = streamkit.io.TeeCore(MessageReducer())
    for i in range(0, len(data), 50):
        tee.feed(data[i : i + 50])
    tee.close()
    assert tee.api == "messages"
    assert tee.result == streamkit.reduce(data)


# --- detection and the wrong API ------------------------------------------------------------


def test_messages_error_first_is_detected_as_messages() -> None:
    decoder = EventDecoder(errors="yield")
    [frame] = streamkit.io.iter_frames(_sse(_ERROR))
    event = decoder.decode(frame)
    assert isinstance(event, MessageErrorEvent) and decoder.api == "messages"
    with pytest.raises(APIStreamError) as info:
        list(streamkit.iter_events(_sse(_ERROR)))
    assert info.value.type == "overloaded_error" and info.value.server_message == "Overloaded"
    message = streamkit.reduce(_sse(_ERROR))
    assert isinstance(message, Message)
    assert message.verdict is not None and message.verdict.status == "errored"


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "error", "sequence_number": 0, "error": {"type": "server_error", "message": "x"}},
        {"type": "error", "code": "server_error", "message": "x", "param": None},
    ],
)
def test_responses_error_first_stays_responses(payload: dict[str, Any]) -> None:
    decoder = EventDecoder(errors="yield")
    [frame] = streamkit.io.iter_frames(_sse(payload))
    assert isinstance(decoder.decode(frame), ResponseErrorEvent)
    assert decoder.api == "responses"


@pytest.mark.parametrize("api", ["responses", "chat", "completions"])
def test_messages_stream_parsed_as_another_api(api: str) -> None:
    data = messages_stream(seed=1, text_words=5)
    with pytest.raises(APIMismatchError, match="pass api='messages'"):
        list(streamkit.iter_events(data, api))  # type: ignore[arg-type]


def test_other_streams_parsed_as_messages() -> None:
    from streamkit.testing import chat_stream, responses_stream

    with pytest.raises(APIMismatchError, match="pass api='responses'"):
        list(streamkit.iter_events(responses_stream(seed=1), "messages"))
    with pytest.raises(APIMismatchError, match="pass api='chat'"):
        list(streamkit.iter_events(chat_stream(seed=1), "messages"))


def test_in_stream_error_payload_of_a_proxy() -> None:
    body = _sse(_START) + b'data: {"error": {"message": "upstream gone"}}\n\n'
    with pytest.raises(APIStreamError, match="upstream gone"):
        list(streamkit.iter_events(body))


def test_reducer_for_messages() -> None:
    assert streamkit.reducer_for("messages").__class__ is MessageReducer


# --- HTTP, against the replay server ---------------------------------------------------------

HTTP_PATHS = [p for p in PATHS if p.stem.split("__")[1] in ("thinking", "parallel-tools", "text")]


@pytest.mark.parametrize("path", recording_params(HTTP_PATHS))
def test_http_reduce_against_the_replay_server(path: Path) -> None:
    app = ReplayApp([path], chunk_sizes=(1, 40), seed=2)
    with httpx.Client(transport=InProcess(app), base_url="http://replay") as client:
        message = sh.reduce(
            client, "POST", "/v1/messages", json={"model": path.stem, "stream": True}
        )
        assert isinstance(message, Message)
        assert message == streamkit.reduce(path)
        assert message.verdict is not None and message.verdict.status == "completed"
        # Without "stream": the final message, as JSON.
        answer = client.post("/v1/messages", json={"model": path.stem}).json()
        assert answer == msgspec.to_builtins(message)
    assert [r.path for r in app.requests] == ["/v1/messages", "/v1/messages"]
    assert app.catalog[0].api == "messages"


@pytest.mark.anyio
@pytest.mark.parametrize("path", recording_params(HTTP_PATHS[:1]))
async def test_http_areduce_against_the_replay_server(path: Path, anyio_backend: str) -> None:
    app = ReplayApp([path], chunk_sizes=(5, 60))
    async with httpx.AsyncClient(transport=AsyncInProcess(app), base_url="http://r") as client:
        message = await sh.areduce(client, "POST", "/v1/messages", json={"stream": True})
    assert message == streamkit.reduce(path)


def test_replay_serves_messages_by_api_and_anthropic_errors() -> None:
    data = messages_stream(seed=4, tool_calls=1)
    app = ReplayApp([("msgs", data), ("chat", streamkit.testing.demo_stream("chat-text"))])
    with httpx.Client(transport=InProcess(app), base_url="http://replay") as client:
        # The messages endpoint takes turns among the Messages recordings only.
        for _ in range(2):
            reply = client.post("/v1/messages", json={"stream": True})
            assert reply.content == data
        missing = client.post("/v1/messages", json={}, headers={"x-streamkit-recording": "nope"})
        assert missing.status_code == 404
        assert missing.json() == {
            "type": "error",
            "error": {"type": "not_found_error", "message": "no recording named 'nope'"},
        }
