"""Converting streams between Chat Completions, Responses and Messages.

Every converted stream must be accepted by the target's official SDK
accumulator and by streamkit's own reducer (verify on, every integrity policy
set to raise), and its final object must equal the source's on text,
refusal, reasoning, tool calls, stop reason and usage. Sources: streams
streamkit generates (always) and the real recordings (``recordings`` marker).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import random_chunks, recording_params, recording_paths
from test_convert_support import (
    chat_reasoning,
    comparable,
    convert_bytes,
    expected,
    project,
    sdk_final,
    strict_reduce,
)

import streamkit
from streamkit.convert import Converter, convert, tool_id
from streamkit.errors import StreamError
from streamkit.events import (
    ChatCompletionChunk,
    Done,
    StreamErrorEvent,
    encode_events,
    event_type,
)
from streamkit.testing import (
    DEMO_STREAMS,
    chat_stream,
    demo_stream,
    messages_stream,
    responses_stream,
)

TARGETS = ("responses", "chat", "messages")


def generated() -> list[tuple[str, bytes]]:
    streams = [(name, demo_stream(name)) for name in DEMO_STREAMS]
    streams += [
        ("messages-thinking-tools", messages_stream(seed=3, tool_calls=3, thinking=True)),
        ("messages-text", messages_stream(seed=4, text_words=40)),
        ("responses-all", responses_stream(seed=5, tool_calls=2, reasoning=True, preamble=True)),
        ("chat-preamble", chat_stream(seed=6, tool_calls=3, preamble=True)),
        ("chat-no-usage", chat_stream(seed=7, text_words=30, usage=False)),
    ]
    return streams


GENERATED = generated()


def api_of(body: bytes) -> str:
    event = next(iter(streamkit.iter_events(body, errors="yield")))
    if isinstance(event, ChatCompletionChunk | StreamErrorEvent | Done):
        return "chat"
    return "messages" if type(event).__module__.endswith("messages") else "responses"


def check(body: bytes, to: str) -> Converter:
    """Convert ``body`` to ``to`` and check everything the target is held to."""
    source_api = api_of(body)
    if source_api == to:
        # The same API: the events pass through untouched.
        conv = Converter(to)  # type: ignore[arg-type]
        events = list(convert(body, to, converter=conv))  # type: ignore[arg-type]
        assert events == list(streamkit.iter_events(body, errors="yield")) and conv.lost == []
        return conv
    with warnings.catch_warnings():
        warnings.simplefilter("error", streamkit.reducers.StreamIntegrityWarning)
        source = streamkit.reduce(body)
    out, conv = convert_bytes(body, to)
    final = strict_reduce(out, to)
    verdict = final.verdict.status
    want = {"unterminated": "truncated", "failed": "errored"}.get(
        source.verdict.status, source.verdict.status
    )
    assert {"failed": "errored"}.get(verdict, verdict) == want
    got = project(final)
    if source.verdict.status in ("completed", "incomplete"):
        original = project(source)
        if source_api == "chat":
            original["reasoning"], original["sealed"] = chat_reasoning(body)
        sdk = project(sdk_final(out, to))
        if to == "chat":
            got["reasoning"], got["sealed"] = sdk["reasoning"], sdk["sealed"] = chat_reasoning(out)
        want = expected(original, to, source_api)
        mine, theirs = comparable(got, source_api), comparable(sdk, source_api)
        if source.verdict.status == "incomplete":
            # Arguments cut mid-JSON: each API's reducer guesses its own best effort.
            for d in (mine, theirs, want):
                d["calls"] = [name for name, _ in d["calls"]]
        assert mine == want
        assert theirs == mine
    return conv


@pytest.mark.parametrize("to", TARGETS)
@pytest.mark.parametrize(("name", "body"), GENERATED, ids=[n for n, _ in GENERATED])
def test_generated_streams_convert(name: str, body: bytes, to: str) -> None:
    check(body, to)


def _recordings() -> list[Path]:
    dirs = ("chat", "chat-compatible", "responses", "messages")
    return [p for d in dirs for p in recording_paths(d)]


@pytest.mark.parametrize("to", TARGETS)
@pytest.mark.parametrize("path", recording_params(_recordings()))
def test_recordings_convert(path: Path, to: str) -> None:
    body = path.read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            streamkit.reduce(body)
    except StreamError as exc:
        # What streamkit cannot decode, the converter reports the same way.
        with pytest.raises(type(exc)):
            list(convert(body, to))  # type: ignore[arg-type]
        return
    check(body, to)


# --------------------------------------------------------------------------- #
# Round trips
# --------------------------------------------------------------------------- #

PAIRS = [(a, b) for a in TARGETS for b in TARGETS if a != b]
ROUND_TRIP_SOURCES = {
    "responses": [
        responses_stream(seed=11, tool_calls=2, reasoning=True),
        demo_stream("responses-refusal"),
    ],
    "chat": [chat_stream(seed=12, tool_calls=2, preamble=True), demo_stream("chat-refusal")],
    "messages": [messages_stream(seed=13, tool_calls=2, thinking=True)],
}


@pytest.mark.parametrize(("x", "y"), PAIRS, ids=[f"{a}-{b}-{a}" for a, b in PAIRS])
def test_round_trip(x: str, y: str) -> None:
    for body in ROUND_TRIP_SOURCES[x]:
        there, first = convert_bytes(body, y)
        back, second = convert_bytes(there, x)
        original = project(streamkit.reduce(body))
        returned = project(strict_reduce(back, x))
        lost = {entry.what for entry in first.lost}
        if "refusal" in lost:
            # Messages carries a refusal as text: it comes back as text.
            original["text"] += original["refusal"]
            original["refusal"] = ""
            returned["stop"] = original["stop"]
        # Tool call ids, thinking signatures and encrypted reasoning come back.
        assert returned == original
        assert second.lost == [] or all(e.what == "refusal" for e in second.lost)


def test_round_trip_keeps_signatures_and_redacted_thinking() -> None:
    events = list(streamkit.iter_events(messages_stream(seed=21, tool_calls=1, thinking=True)))
    # Add a redacted thinking block before the others.
    from streamkit.events import ContentBlockStartEvent, ContentBlockStopEvent
    from streamkit.models.messages import RedactedThinkingBlock

    shifted: list[Any] = []
    for e in events:
        if hasattr(e, "index") and type(e).__name__.startswith("ContentBlock"):
            import msgspec

            e = msgspec.structs.replace(e, index=e.index + 1)
        shifted.append(e)
    shifted[1:1] = [
        ContentBlockStartEvent(index=0, content_block=RedactedThinkingBlock(data="EncRyPtEd==")),
        ContentBlockStopEvent(index=0),
    ]
    body = b"".join(encode_events(shifted, api="messages"))
    source = project(strict_reduce(body, "messages"))
    assert source["sealed"][0] == "EncRyPtEd==" and len(source["sealed"]) == 2
    for y in ("chat", "responses"):
        there, _ = convert_bytes(body, y)
        back, _ = convert_bytes(there, "messages")
        message = strict_reduce(back, "messages")
        assert type(message.content[0]).__name__ == "RedactedThinkingBlock"
        assert project(message) == source


def test_tool_ids_map_reversibly() -> None:
    assert tool_id("call_abc123", "messages") == "toolu_abc123"
    assert tool_id("toolu_01XYZ", "chat") == "call_01XYZ"
    assert tool_id(tool_id("call_abc", "messages"), "responses") == "call_abc"
    assert tool_id("fn-7", "messages") == "fn-7"


# --------------------------------------------------------------------------- #
# Server-shaped output
# --------------------------------------------------------------------------- #


def test_responses_output_is_server_shaped() -> None:
    body = chat_stream(seed=31, tool_calls=3, preamble=True)
    events = list(convert(body, "responses"))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    types = [event_type(e) for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    final = events[-1].response
    assert final.id.startswith("resp_") and len(final.id) == 53
    ids = [item.id for item in final.output]
    assert len(set(ids)) == len(ids)
    assert ids[0].startswith("msg_") and all(i.startswith("fc_") for i in ids[1:])
    # The ids of the events are those of the final object, at the same output_index.
    added = {
        e.output_index: e.item.id
        for e, t in zip(events, types, strict=True)
        if t == "response.output_item.added"
    }
    assert added == dict(enumerate(ids))
    kinds = set(types)
    assert {"response.output_text.done", "response.function_call_arguments.done"} <= kinds
    # Deterministic: the same input gives the same output.
    assert list(convert(body, "responses")) == events


def test_chat_output_is_server_shaped() -> None:
    body = responses_stream(seed=32, tool_calls=3, reasoning=True)
    out, _ = convert_bytes(body, "chat")
    events = list(streamkit.iter_events(out))
    chunks = [e for e in events if isinstance(e, ChatCompletionChunk)]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert isinstance(events[-1], Done)
    assert chunks[-1].choices == [] and chunks[-1].usage
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert [f for f in finishes if f] == ["tool_calls"]
    starts = [t for c in chunks if c.choices for t in (c.choices[0].delta.tool_calls or []) if t.id]
    assert [t.index for t in starts] == [0, 1, 2]
    assert all(t.id.startswith("call_") and t.function.name for t in starts)
    assert b'"reasoning_content"' in out


def test_messages_output_is_server_shaped() -> None:
    body = chat_stream(seed=33, tool_calls=2, preamble=True)
    events = list(convert(body, "messages"))
    types = [event_type(e) for e in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    starts = [e for e, t in zip(events, types, strict=True) if t == "content_block_start"]
    assert [e.index for e in starts] == [0, 1, 2]
    tools = [e.content_block for e in starts[1:]]
    assert all(t.id.startswith("toolu_") for t in tools)
    assert any(type(e.delta).__name__ == "InputJSONDelta" for e in events if hasattr(e, "delta"))
    assert events[-2].delta.stop_reason == "tool_use" and events[-2].usage.output_tokens > 0


# --------------------------------------------------------------------------- #
# Truncation, errors, n > 1
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("to", TARGETS)
@pytest.mark.parametrize("name", ["responses-tools", "chat-tools"])
def test_a_cut_source_gives_a_cut_target(name: str, to: str) -> None:
    body = demo_stream(name)
    cut = body[: len(body) * 2 // 3]
    out, conv = convert_bytes(cut, to)
    assert strict_reduce(out, to).verdict.status == "truncated"
    assert not conv.result().ended


@pytest.mark.parametrize("to", TARGETS)
def test_messages_cut_gives_a_cut_target(to: str) -> None:
    body = messages_stream(seed=41, tool_calls=1, thinking=True)
    out, _ = convert_bytes(body[: len(body) // 2], to)
    assert strict_reduce(out, to).verdict.status == "truncated"


@pytest.mark.parametrize("to", ["responses", "messages"])
def test_chat_without_done_is_not_a_success(to: str) -> None:
    body = chat_stream(seed=42).removesuffix(b"data: [DONE]\n\n")
    assert streamkit.reduce(body).verdict.status == "unterminated"
    out, conv = convert_bytes(body, to)
    assert strict_reduce(out, to).verdict.status == "truncated"
    assert "terminal" in {e.what for e in conv.lost}


@pytest.mark.parametrize("to", TARGETS)
def test_in_stream_errors_are_converted(to: str) -> None:
    chat = chat_stream(seed=43, text_words=20)
    cut = chat[: chat.index(b"data: [DONE]")]
    cut = cut[: cut.rindex(b"data: ")]
    body = (
        cut
        + b'data: {"error": {"message": "overloaded", "type": "server_error", "code": "server_is_overloaded"}}\n\n'
    )
    out, _ = convert_bytes(body, to)
    final = strict_reduce(out, to)
    assert final.verdict.status in ("errored", "failed")
    assert "overloaded" in str(final.verdict.error)


def test_n_greater_than_one_converts_choice_zero() -> None:
    chunks = [e for e in streamkit.iter_events(chat_stream(seed=44, text_words=10))]
    doubled: list[Any] = []
    import msgspec

    for e in chunks:
        doubled.append(e)
        if isinstance(e, ChatCompletionChunk) and e.choices:
            other = [msgspec.structs.replace(c, index=1) for c in e.choices]
            doubled.append(msgspec.structs.replace(e, choices=other))
    conv = Converter("responses")
    events = [out for e in doubled for out in conv.step(e)]
    events += conv.finish()
    assert [e.what for e in conv.lost] == ["choice"]
    response = streamkit.reduce(b"".join(encode_events(events)))
    original = streamkit.reduce(chat_stream(seed=44, text_words=10))
    assert response.output[0].content[0].text == original.choices[0].message.content


# --------------------------------------------------------------------------- #
# State, chunking, composition
# --------------------------------------------------------------------------- #


def test_two_interleaved_conversions_share_nothing() -> None:
    a_body = chat_stream(seed=51, tool_calls=2)
    b_body = messages_stream(seed=52, thinking=True, tool_calls=1)
    alone_a = list(convert(a_body, "responses"))
    alone_b = list(convert(b_body, "responses"))
    a_events = list(streamkit.iter_events(a_body))
    b_events = list(streamkit.iter_events(b_body))
    ca, cb = Converter("responses"), Converter("responses")
    out_a: list[Any] = []
    out_b: list[Any] = []
    for i in range(max(len(a_events), len(b_events))):
        if i < len(a_events):
            out_a += ca.step(a_events[i])
        if i < len(b_events):
            out_b += cb.step(b_events[i])
    out_a += ca.finish()
    out_b += cb.finish()
    assert out_a == alone_a and out_b == alone_b


@pytest.mark.parametrize("to", TARGETS)
def test_chunking_never_changes_the_output(to: str) -> None:
    for _, body in GENERATED[:6]:
        whole = list(convert(body, to))  # type: ignore[arg-type]
        for seed in range(3):
            assert list(convert(random_chunks(body, seed), to)) == whole  # type: ignore[arg-type]


def test_converter_composes_with_combinators() -> None:
    sent: list[Any] = []
    conv = Converter("messages", emit=sent.append)
    text, report = streamkit.combine(streamkit.TextReducer(), conv).run(
        streamkit.iter_events(demo_stream("chat-text"))
    )
    message = streamkit.reduce(b"".join(encode_events(sent)))
    assert message.content[0].text == text
    assert report == [] and conv.result().ended and conv.result().events_out == len(sent)


def test_async_conversion_matches_sync() -> None:
    import anyio

    from streamkit.convert import aconvert

    body = responses_stream(seed=61, tool_calls=1, reasoning=True)

    async def chunks() -> Any:
        for piece in random_chunks(body, 1):
            yield piece

    async def run() -> list[Any]:
        return [e async for e in aconvert(chunks(), "messages")]

    assert anyio.run(run) == list(convert(body, "messages"))
