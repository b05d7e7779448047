"""streamkit.testing: the streams streamkit generates for demos and tests are
deterministic, well formed, and fold to what their final events say."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from typing import Any

import msgspec
import pytest
from helpers import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit import ChatCompletion, Message, MessageReducer, Response, ResponseReducer
from streamkit.events import (
    ChatCompletionChunk,
    Done,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseTextDeltaEvent,
)
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    SignatureDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.models.messages import TextBlock, ThinkingBlock, ToolUseBlock
from streamkit.models.responses import FunctionToolCall, OutputMessage, ReasoningItem
from streamkit.testing import (
    DEMO_STREAMS,
    chat_events,
    chat_stream,
    demo_stream,
    messages_events,
    messages_stream,
    responses_events,
    responses_stream,
)

NAMES = sorted(DEMO_STREAMS)
RESPONSES = [n for n in NAMES if n.startswith("responses-")]
CHAT = [n for n in NAMES if n.startswith("chat-")]
MESSAGES = [n for n in NAMES if n.startswith("messages-")]

# Stream options, as generator keyword arguments, covering every feature.
RESPONSES_OPTIONS = [
    {},
    {"text_words": 400},
    {"text_words": 0, "tool_calls": 1},
    {"text_words": 0, "tool_calls": 4, "preamble": True},
    {"text_words": 30, "tool_calls": 2, "reasoning": True},
    {"reasoning": True},
    {"refusal": True},
    {"refusal": True, "reasoning": True},
]
CHAT_OPTIONS = [
    {},
    {"text_words": 400},
    {"text_words": 0, "tool_calls": 1},
    {"text_words": 0, "tool_calls": 3, "preamble": True},
    {"refusal": True},
    {"usage": False},
]
MESSAGES_OPTIONS = [
    {},
    {"text_words": 400},
    {"text_words": 0, "tool_calls": 1},
    {"text_words": 0, "tool_calls": 3, "preamble": True},
    {"thinking": True},
    {"text_words": 20, "tool_calls": 2, "thinking": True},
]


def option_id(options: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items()) or "defaults"


def events_of(data: bytes) -> list[Any]:
    return list(streamkit.iter_events(data))


def final_response(data: bytes) -> Response:
    last = events_of(data)[-1]
    assert isinstance(last, ResponseCompletedEvent)
    return last.response


# --------------------------------------------------------------------------- #
# The named demo streams
# --------------------------------------------------------------------------- #


def test_the_named_streams() -> None:
    assert set(NAMES) >= {
        "responses-text",
        "responses-tools",
        "responses-reasoning",
        "responses-refusal",
        "chat-text",
        "chat-tools",
        "chat-refusal",
        "messages-text",
        "messages-tools",
        "messages-thinking",
    }
    assert all(description for description in DEMO_STREAMS.values())
    with pytest.raises(TypeError):
        DEMO_STREAMS["new"] = "x"  # type: ignore[index]


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="no demo stream named 'nope'; the demo streams are: ") as e:
        demo_stream("nope")
    assert all(name in str(e.value) for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_named_stream_completes(name: str) -> None:
    data = demo_stream(name)
    result = streamkit.reduce(data, strict=True)
    assert result.verdict is not None and result.verdict.status == "completed"
    kind = {"responses": Response, "chat": ChatCompletion, "messages": Message}
    assert isinstance(result, kind[name.split("-")[0]])


@pytest.mark.parametrize("name", NAMES)
def test_named_streams_show_what_their_name_says(name: str) -> None:
    result: Any = streamkit.reduce(demo_stream(name))
    if isinstance(result, Response):
        kinds = Counter(type(item).__name__ for item in result.output)
        refusals = [
            part
            for item in result.output
            if isinstance(item, OutputMessage)
            for part in item.content
            if type(part).__name__ == "Refusal"
        ]
        assert (kinds["FunctionToolCall"] >= 2) == name.endswith("-tools")
        assert (kinds["ReasoningItem"] == 1) == name.endswith(("-tools", "-reasoning"))
        assert bool(refusals) == name.endswith("-refusal")
        assert bool(streamkit.TextReducer().run(events_of(demo_stream(name)))) == (
            not name.endswith("-refusal")
        )
    elif isinstance(result, Message):
        kinds = Counter(type(block).__name__ for block in result.content)
        assert (kinds["ToolUseBlock"] >= 2) == name.endswith("-tools")
        assert (kinds["ThinkingBlock"] == 1) == name.endswith("-thinking")
        assert kinds["TextBlock"] == 1
    else:
        message = result.choices[0].message
        assert (len(message.tool_calls or []) >= 2) == name.endswith("-tools")
        assert bool(message.refusal) == name.endswith("-refusal")
        assert bool(message.content) == name.endswith("-text")


def test_demo_stream_with_another_seed() -> None:
    for name in NAMES:
        other = demo_stream(name, seed=1234)
        assert other != demo_stream(name)
        assert other == demo_stream(name, seed=1234)
        assert streamkit.reduce(other).verdict.ok  # type: ignore[union-attr]


# --------------------------------------------------------------------------- #
# Determinism
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_same_arguments_same_bytes(options: dict[str, Any]) -> None:
    assert responses_stream(seed=5, **options) == responses_stream(seed=5, **options)


@pytest.mark.parametrize("options", CHAT_OPTIONS, ids=option_id)
def test_chat_same_arguments_same_bytes(options: dict[str, Any]) -> None:
    assert chat_stream(seed=5, **options) == chat_stream(seed=5, **options)


def test_same_bytes_in_a_fresh_interpreter() -> None:
    # Nothing depends on hash randomization or on state left by earlier calls.
    code = (
        "import sys, hashlib; from streamkit.testing import demo_stream, DEMO_STREAMS; "
        "sys.stdout.write(hashlib.sha256(b''.join(demo_stream(n) for n in DEMO_STREAMS))"
        ".hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    here = hashlib.sha256(b"".join(demo_stream(n) for n in DEMO_STREAMS)).hexdigest()
    assert digests == {here}


@pytest.mark.parametrize(
    "make", [responses_stream, chat_stream, messages_stream], ids=["responses", "chat", "messages"]
)
def test_different_seeds_different_streams(make: Any) -> None:
    streams = {make(seed=seed) for seed in range(20)}
    assert len(streams) == 20
    texts = {streamkit.TextReducer().run(streamkit.iter_events(s)) for s in streams}
    assert len(texts) > 10  # the story itself changes, not only the ids


# --------------------------------------------------------------------------- #
# Responses streams
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_stream_is_the_encoder_output(options: dict[str, Any]) -> None:
    data = responses_stream(seed=3, **options)
    events = responses_events(seed=3, **options)
    assert b"".join(streamkit.encode_events(events)) == data
    assert events_of(data) == events


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_fold_equals_the_final_response(options: dict[str, Any]) -> None:
    data = responses_stream(seed=3, **options)
    reducer = ResponseReducer(verify=True, sequence_policy="raise")
    result = reducer.run(events_of(data))
    assert result.verdict.status == "completed"  # type: ignore[union-attr]
    assert reducer.divergences == []
    assert reducer.sequence_issues == []
    assert result == final_response(data)
    assert streamkit.reduce(data, verify=True) == result


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_deltas_join_to_the_final_values(options: dict[str, Any]) -> None:
    # Checked here without any reducer: each item's deltas, joined, are its final text.
    data = responses_stream(seed=4, **options)
    pieces: dict[tuple[int, str], list[str]] = {}
    for event in events_of(data):
        if isinstance(event, ResponseTextDeltaEvent):
            pieces.setdefault((event.output_index, "text"), []).append(event.delta)
        elif isinstance(event, ResponseRefusalDeltaEvent):
            pieces.setdefault((event.output_index, "refusal"), []).append(event.delta)
        elif isinstance(event, ResponseFunctionCallArgumentsDeltaEvent):
            pieces.setdefault((event.output_index, "arguments"), []).append(event.delta)
        elif isinstance(event, ResponseReasoningSummaryTextDeltaEvent):
            key = (event.output_index, f"summary{event.summary_index}")
            pieces.setdefault(key, []).append(event.delta)
    final: dict[tuple[int, str], str] = {}
    for index, item in enumerate(final_response(data).output):  # type: ignore[arg-type]
        if isinstance(item, OutputMessage):
            (part,) = item.content
            kind = "refusal" if type(part).__name__ == "Refusal" else "text"
            final[index, kind] = getattr(part, kind)
        elif isinstance(item, FunctionToolCall):
            final[index, "arguments"] = item.arguments
        elif isinstance(item, ReasoningItem):
            for n, summary in enumerate(item.summary):
                final[index, f"summary{n}"] = summary.text
    assert final and {key: "".join(p) for key, p in pieces.items()} == final


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_event_order(options: dict[str, Any]) -> None:
    events = events_of(responses_stream(seed=6, **options))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert isinstance(events[0], ResponseCreatedEvent)
    assert isinstance(events[1], ResponseInProgressEvent)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert events[0].response.status == events[1].response.status == "in_progress"
    assert events[0].response.output == [] and events[0].response.usage is None
    # Items one after the other: added, their part and deltas, their .done, item done.
    current = None
    for event in events[2:-1]:
        if isinstance(event, ResponseOutputItemAddedEvent):
            assert current is None
            current = event.output_index
        elif isinstance(event, ResponseOutputItemDoneEvent):
            assert event.output_index == current
            current = None
        else:
            assert event.output_index == current, type(event).__name__
    assert current is None
    added = [e.output_index for e in events if isinstance(e, ResponseOutputItemAddedEvent)]
    assert added == list(range(len(events[-1].response.output)))
    types = [type(e) for e in events]
    for first, then in [
        (ResponseContentPartAddedEvent, ResponseContentPartDoneEvent),
        (ResponseFunctionCallArgumentsDeltaEvent, ResponseFunctionCallArgumentsDoneEvent),
    ]:
        assert types.count(first) == 0 or types.index(first) < types.index(then)


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_ids_models_and_times(options: dict[str, Any]) -> None:
    data = responses_stream(seed=7, **options)
    response = final_response(data)
    assert re.fullmatch(r"resp_[0-9a-f]{50}", response.id)
    prefixes = {"OutputMessage": "msg", "FunctionToolCall": "fc", "ReasoningItem": "rs"}
    for item in response.output:  # type: ignore[union-attr]
        prefix = prefixes[type(item).__name__]
        assert re.fullmatch(rf"{prefix}_[0-9a-f]{{50}}", item.id)  # type: ignore[union-attr]
        # A response and its items share the first 16 hex digits of their ids.
        assert item.id.split("_")[1][:16] == response.id[5:21]  # type: ignore[union-attr]
        if isinstance(item, FunctionToolCall):
            assert re.fullmatch(r"call_[A-Za-z0-9]{24}", item.call_id)
    reasoning = options.get("reasoning", False)
    assert response.model == ("o4-mini-2025-04-16" if reasoning else "gpt-4.1-2025-04-14")
    assert isinstance(response.completed_at, (int, float))
    assert 1_700_000_000 < response.created_at <= response.completed_at
    # Timestamps are written as integers, as the API writes them.
    assert re.search(rb'"created_at":\d+,', data) and not re.search(rb'"created_at":\d+\.', data)


def test_responses_model_name() -> None:
    assert final_response(responses_stream(model="gpt-5-2025-08-07")).model == "gpt-5-2025-08-07"


@pytest.mark.parametrize("options", RESPONSES_OPTIONS, ids=option_id)
def test_responses_usage(options: dict[str, Any]) -> None:
    usage: Any = final_response(responses_stream(seed=8, **options)).usage
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    cached = usage.input_tokens_details.cached_tokens
    assert cached == 0 or (1024 <= cached <= usage.input_tokens and cached % 128 == 0)
    reasoning = usage.output_tokens_details.reasoning_tokens
    assert (reasoning > 0) == options.get("reasoning", False)
    assert 0 <= reasoning < usage.output_tokens


def test_responses_usage_has_cached_tokens_for_some_seeds() -> None:
    cached = [
        final_response(
            responses_stream(seed=s, text_words=5)
        ).usage.input_tokens_details.cached_tokens  # type: ignore[union-attr]
        for s in range(30)
    ]
    assert 0 in cached and any(cached)


def test_responses_tool_calls() -> None:
    data = responses_stream(seed=9, text_words=0, tool_calls=5)
    calls = [i for i in final_response(data).output if isinstance(i, FunctionToolCall)]  # type: ignore[union-attr]
    assert len(calls) == 5 and len({c.call_id for c in calls}) == 5
    arguments = [json.loads(c.arguments) for c in calls]
    assert all(isinstance(a, dict) and a for a in arguments)
    assert len({json.dumps(a, sort_keys=True) for a in arguments}) == 5
    # Arguments stream in pieces, never in one delta.
    deltas = Counter(
        e.output_index
        for e in events_of(data)
        if isinstance(e, ResponseFunctionCallArgumentsDeltaEvent)
    )
    assert len(deltas) == 5 and min(deltas.values()) > 1
    # Each tool used is declared in the response's tools.
    declared = {tool["name"] for tool in final_response(data).tools}
    assert {c.name for c in calls} == declared
    assert final_response(data).parallel_tool_calls is True


def test_responses_preamble_announces_the_calls() -> None:
    data = responses_stream(seed=10, text_words=0, tool_calls=2, preamble=True)
    response = final_response(data)
    message, *calls = response.output  # type: ignore[misc]
    assert isinstance(message, OutputMessage) and len(calls) == 2
    text = streamkit.TextReducer().run(events_of(data))
    assert text.startswith("I'll ") and text.endswith(".") and "\n" not in text


def test_responses_refusal() -> None:
    response = final_response(responses_stream(seed=11, refusal=True))
    (message,) = response.output  # type: ignore[misc]
    (part,) = message.content
    assert type(part).__name__ == "Refusal" and part.refusal.startswith("I")


@pytest.mark.parametrize("text_words", [1, 10, 60, 150, 1000])
def test_text_length_and_token_sized_deltas(text_words: int) -> None:
    events = events_of(responses_stream(seed=12, text_words=text_words))
    deltas = [e.delta for e in events if isinstance(e, ResponseTextDeltaEvent)]
    text = "".join(deltas)
    words = len(text.split())
    # Whole sentences: at least the words asked for, at most two sentences more.
    assert text_words <= words <= text_words + 50
    assert len(deltas) >= words  # about one token a word or more
    assert all(0 < len(d.strip()) <= 8 or d.isspace() for d in deltas), deltas
    assert text[0].isupper() and text.endswith((".", "\u201d"))


@pytest.mark.parametrize(
    "options",
    [{"text_words": -1}, {"tool_calls": -1}, {"refusal": True, "tool_calls": 1}],
    ids=option_id,
)
@pytest.mark.parametrize("make", [responses_stream, chat_stream], ids=["responses", "chat"])
def test_invalid_options(make: Any, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make(**options)


# --------------------------------------------------------------------------- #
# Chat Completions streams
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("options", CHAT_OPTIONS, ids=option_id)
def test_chat_stream_is_the_encoder_output(options: dict[str, Any]) -> None:
    data = chat_stream(seed=3, **options)
    events = chat_events(seed=3, **options)
    assert b"".join(streamkit.encode_events(events)) == data
    assert events_of(data) == events


@pytest.mark.parametrize("options", CHAT_OPTIONS, ids=option_id)
def test_chat_stream_shape(options: dict[str, Any]) -> None:
    data = chat_stream(seed=13, **options)
    assert data.endswith(b"data: [DONE]\n\n")
    events = events_of(data)
    assert isinstance(events[-1], Done) and events.count(Done()) == 1
    chunks: list[ChatCompletionChunk] = events[:-1]
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert len({(c.id, c.created, c.model, c.system_fingerprint) for c in chunks}) == 1
    first = chunks[0]
    assert re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", first.id)
    assert re.fullmatch(r"fp_[0-9a-f]{10}", first.system_fingerprint)  # type: ignore[arg-type]
    assert first.model == "gpt-4o-2024-08-06" and first.created > 1_700_000_000
    assert first.choices[0].delta.role == "assistant"  # type: ignore[union-attr]
    with_choices = [c for c in chunks if c.choices]
    finishes = [c.choices[0].finish_reason for c in with_choices]
    assert finishes[:-1] == [None] * (len(finishes) - 1)
    assert finishes[-1] == ("tool_calls" if options.get("tool_calls") else "stop")
    if options.get("usage", True):
        last = chunks[-1]
        assert last.choices == [] and last.usage is not None
        assert all(c.usage is None for c in chunks[:-1])
        assert with_choices == chunks[:-1]
    else:
        assert with_choices == chunks
        assert all(c.usage is msgspec.UNSET for c in chunks)
        assert b'"usage"' not in data


@pytest.mark.parametrize("options", CHAT_OPTIONS, ids=option_id)
def test_chat_reduces_to_what_the_chunks_carry(options: dict[str, Any]) -> None:
    data = chat_stream(seed=14, **options)
    result: Any = streamkit.reduce(data, strict=True)
    assert result.verdict.status == "completed"
    message = result.choices[0].message
    chunks = [e for e in events_of(data) if isinstance(e, ChatCompletionChunk) and e.choices]
    content = "".join(c.choices[0].delta.content or "" for c in chunks)  # type: ignore[union-attr]
    refusal = "".join(c.choices[0].delta.refusal or "" for c in chunks)  # type: ignore[union-attr]
    assert (message.content or "") == content
    assert (message.refusal or "") == refusal
    assert bool(refusal) == options.get("refusal", False)
    story = options.get("text_words", 120) > 0
    preamble = options.get("preamble", False) and options.get("tool_calls", 0) > 0
    assert bool(content) == (not options.get("refusal", False) and (story or preamble))
    calls = message.tool_calls or []
    assert len(calls) == options.get("tool_calls", 0)
    for call in calls:
        assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call.id)
        assert isinstance(json.loads(call.function.arguments), dict)
    usage = result.usage
    if options.get("usage", True):
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
        assert usage.prompt_tokens_details.cached_tokens <= usage.prompt_tokens
        assert usage.completion_tokens_details.reasoning_tokens == 0
    else:
        assert usage is None or usage is msgspec.UNSET


def test_chat_tool_arguments_stream_in_pieces() -> None:
    events = events_of(chat_stream(seed=15, text_words=0, tool_calls=3))
    pieces: Counter[int] = Counter()
    for event in events:
        if isinstance(event, ChatCompletionChunk) and event.choices:
            for call in event.choices[0].delta.tool_calls or []:  # type: ignore[union-attr]
                if call.function.arguments:  # type: ignore[union-attr]
                    pieces[call.index] += 1
    assert sorted(pieces) == [0, 1, 2] and min(pieces.values()) > 1


def test_chat_model_name() -> None:
    result = streamkit.reduce(chat_stream(model="gpt-4.1-mini-2025-04-14"))
    assert result.model == "gpt-4.1-mini-2025-04-14"


# --------------------------------------------------------------------------- #
# Any options
# --------------------------------------------------------------------------- #


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    text_words=st.integers(0, 300),
    tool_calls=st.integers(0, 4),
    reasoning=st.booleans(),
    refusal=st.booleans(),
    preamble=st.booleans(),
)
def test_any_responses_stream_folds_exactly(
    seed: int, text_words: int, tool_calls: int, reasoning: bool, refusal: bool, preamble: bool
) -> None:
    if refusal:
        tool_calls = 0
    data = responses_stream(
        seed=seed,
        text_words=text_words,
        tool_calls=tool_calls,
        reasoning=reasoning,
        refusal=refusal,
        preamble=preamble,
    )
    reducer = ResponseReducer(verify=True, sequence_policy="raise")
    result = reducer.run(events_of(data))
    assert result.verdict.ok and reducer.divergences == []  # type: ignore[union-attr]
    assert result == final_response(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    text_words=st.integers(0, 300),
    tool_calls=st.integers(0, 4),
    refusal=st.booleans(),
    preamble=st.booleans(),
    usage=st.booleans(),
)
def test_any_chat_stream_completes(
    seed: int, text_words: int, tool_calls: int, refusal: bool, preamble: bool, usage: bool
) -> None:
    if refusal:
        tool_calls = 0
    data = chat_stream(
        seed=seed,
        text_words=text_words,
        tool_calls=tool_calls,
        refusal=refusal,
        preamble=preamble,
        usage=usage,
    )
    result: Any = streamkit.reduce(data, strict=True)
    assert result.verdict.ok and data.endswith(b"data: [DONE]\n\n")
    assert len(result.choices[0].message.tool_calls or []) == tool_calls


# --------------------------------------------------------------------------- #
# Anthropic Messages streams
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("options", MESSAGES_OPTIONS, ids=option_id)
def test_messages_stream_is_the_encoder_output(options: dict[str, Any]) -> None:
    data = messages_stream(seed=3, **options)
    assert data == messages_stream(seed=3, **options)
    assert data == b"".join(streamkit.encode_events(messages_events(seed=3, **options)))
    # Every event is named, as Anthropic's server names them.
    frames = list(streamkit.io.iter_frames(data))
    assert [f.event for f in frames] == [json.loads(bytes(f.data))["type"] for f in frames]
    assert events_of(data) == messages_events(seed=3, **options)


@pytest.mark.parametrize("options", MESSAGES_OPTIONS, ids=option_id)
def test_messages_stream_shape(options: dict[str, Any]) -> None:
    events = messages_events(seed=8, **options)
    assert isinstance(events[0], MessageStartEvent)
    assert events[0].message.content == [] and events[0].message.stop_reason is None
    assert isinstance(events[-2], MessageDeltaEvent) and isinstance(events[-1], MessageStopEvent)
    assert [type(e) for e in events].count(PingEvent) == 1
    # Blocks run one after the other: start, deltas of that index, stop.
    open_index = None
    started = []
    for event in events[1:-2]:
        if isinstance(event, ContentBlockStartEvent):
            assert open_index is None
            open_index = event.index
            started.append(event.content_block)
        elif isinstance(event, ContentBlockDeltaEvent):
            assert event.index == open_index
        elif isinstance(event, ContentBlockStopEvent):
            assert event.index == open_index
            open_index = None
    kinds = [type(b) for b in started]
    thinking = options.get("thinking", False)
    assert (kinds[:1] == [ThinkingBlock]) == thinking
    assert kinds.count(ToolUseBlock) == options.get("tool_calls", 0)
    stop = events[-2].delta.stop_reason
    assert stop == ("tool_use" if options.get("tool_calls") else "end_turn")


@pytest.mark.parametrize("options", MESSAGES_OPTIONS, ids=option_id)
def test_messages_reduce_to_what_the_deltas_carry(options: dict[str, Any]) -> None:
    events = messages_events(seed=4, **options)
    message = streamkit.reduce(messages_stream(seed=4, **options), strict=True)
    assert isinstance(message, Message)
    assert message == MessageReducer().run(events)
    texts: dict[int, str] = {}
    inputs: dict[int, str] = {}
    signatures: dict[int, str] = {}
    for event in events:
        if isinstance(event, ContentBlockDeltaEvent):
            d = event.delta
            if isinstance(d, TextDelta | ThinkingDelta):
                texts[event.index] = texts.get(event.index, "") + (
                    d.text if isinstance(d, TextDelta) else d.thinking
                )
            elif isinstance(d, InputJSONDelta):
                inputs[event.index] = inputs.get(event.index, "") + d.partial_json
            elif isinstance(d, SignatureDelta):
                signatures[event.index] = d.signature
    for index, block in enumerate(message.content):
        if isinstance(block, TextBlock):
            assert block.text == texts[index]
        elif isinstance(block, ThinkingBlock):
            assert block.thinking == texts[index] and block.signature == signatures[index]
            assert len(block.thinking.split()) > 20
        else:
            assert isinstance(block, ToolUseBlock)
            assert block.input == json.loads(inputs[index])
            assert block.id.startswith("toolu_01") and len(block.id) == 30
            # The input streams in several pieces, the first one empty.
            pieces = [
                e.delta.partial_json
                for e in events
                if isinstance(e, ContentBlockDeltaEvent) and e.index == index
            ]
            assert pieces[0] == "" and len(pieces) > 3
    assert message.id.startswith("msg_01") and len(message.id) == 28
    assert message.model == "claude-sonnet-4-5-20250929"


def test_messages_usage_is_cumulative_with_cache_fields() -> None:
    seen: set[str] = set()
    for seed in range(40):
        events = messages_events(seed=seed, text_words=40)
        start = events[0]
        last = events[-2]
        assert isinstance(start, MessageStartEvent) and isinstance(last, MessageDeltaEvent)
        first = start.message.usage
        assert first.cache_creation is not msgspec.UNSET and first.cache_creation is not None
        assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens
        final = streamkit.reduce(messages_stream(seed=seed, text_words=40)).usage
        assert final.output_tokens == last.usage.output_tokens >= first.output_tokens  # type: ignore[union-attr]
        assert final.input_tokens == first.input_tokens
        assert final.cache_read_input_tokens == first.cache_read_input_tokens
        if first.cache_read_input_tokens:
            seen.add("read")
        if first.cache_creation_input_tokens:
            seen.add("write")
    assert seen == {"read", "write"}  # both cache outcomes occur


def test_messages_model_and_invalid_options() -> None:
    message = streamkit.reduce(messages_stream(model="claude-opus-4-5-20251101"))
    assert isinstance(message, Message) and message.model == "claude-opus-4-5-20251101"
    with pytest.raises(ValueError, match="text_words"):
        messages_stream(text_words=-1)
    with pytest.raises(ValueError, match="tool_calls"):
        messages_stream(tool_calls=-2)


# --------------------------------------------------------------------------- #
# Imports and the command
# --------------------------------------------------------------------------- #


def test_the_generator_needs_neither_httpx_nor_anyio() -> None:
    # streamkit.testing and the modules it uses, imported with httpx and anyio
    # made unimportable (the package's own __init__, which re-exports the HTTP
    # helpers, is left out).
    code = """
import importlib.util, json, sys, types
spec = importlib.util.find_spec("streamkit")
package = types.ModuleType("streamkit")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["streamkit"] = package
sys.modules["httpx"] = sys.modules["anyio"] = None
from streamkit.testing import DEMO_STREAMS, demo_stream
for name in DEMO_STREAMS:
    assert demo_stream(name)
print(json.dumps([m for m in sys.modules if m.startswith("streamkit.")]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "streamkit.testing._streams" in loaded
    assert not {m for m in loaded if m.startswith(("streamkit.io", "streamkit.http"))}


def test_python_m_streamkit_testing(tmp_path: Any) -> None:
    run = [sys.executable, "-m", "streamkit.testing"]
    listing = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert [line.split()[0] for line in listing.splitlines()] == list(DEMO_STREAMS)
    out = subprocess.run([*run, "chat-tools"], capture_output=True, check=True).stdout
    assert out == demo_stream("chat-tools")
    out = subprocess.run([*run, "chat-tools", "--seed", "9"], capture_output=True, check=True)
    assert out.stdout == demo_stream("chat-tools", seed=9)
    bad = subprocess.run([*run, "nope"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "invalid choice: 'nope'" in bad.stderr
    # A reader that leaves early is not an error.
    piped = subprocess.run(
        f"{sys.executable} -m streamkit.testing responses-text | head -c 100",
        shell=True,
        capture_output=True,
        check=True,
    )
    assert piped.stdout == demo_stream("responses-text")[:100] and piped.stderr == b""
