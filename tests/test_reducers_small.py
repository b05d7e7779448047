"""Small reducers and combinators, on synthetic streams and real recordings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import recording_params, recording_paths

from streamkit import MessageReducer, iter_events
from streamkit.events import ChatCompletionChunk, ResponseTextDeltaEvent
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    InputJSONDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.models.messages import TOOL_INPUT_BLOCKS, TextBlock
from streamkit.models.messages import Usage as MessageUsage
from streamkit.reducers._base import fold
from streamkit.reducers._combinators import combine, filter_events, map_events, scan, tap
from streamkit.reducers._partial_json import PartialJSON
from streamkit.reducers._small import TextReducer, TimingReducer, ToolCallsReducer, UsageReducer
from streamkit.testing import messages_events, messages_stream

RESPONSES = recording_paths("responses")
CHAT = recording_paths("chat")
MESSAGES = recording_paths("messages")


def sse(*payloads: dict) -> bytes:  # type: ignore[type-arg]
    return b"".join(f"data: {json.dumps(p)}\n\n".encode() for p in payloads)


def text_delta(i: int, text: str, output: int = 0, part: int = 0) -> dict:  # type: ignore[type-arg]
    return {
        "type": "response.output_text.delta",
        "sequence_number": i,
        "item_id": f"msg_{output}",
        "output_index": output,
        "content_index": part,
        "delta": text,
        "logprobs": [],
    }


def chat_chunk(choices: list, usage: dict | None = None) -> dict:  # type: ignore[type-arg]
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": choices,
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def test_output_text_responses_parts_in_order_and_done_wins() -> None:
    body = sse(
        text_delta(0, "Hel"),
        text_delta(1, "lo"),
        text_delta(2, " second", output=1),
        {
            "type": "response.output_text.done",
            "sequence_number": 3,
            "item_id": "msg_0",
            "output_index": 0,
            "content_index": 0,
            "text": "Hello!",
            "logprobs": [],
        },
    )
    assert TextReducer().run(iter_events(body)) == "Hello! second"


def test_output_text_chat_choice() -> None:
    body = sse(
        chat_chunk(
            [{"index": 0, "delta": {"role": "assistant", "content": "a"}, "finish_reason": None}]
        ),
        chat_chunk([{"index": 1, "delta": {"content": "X"}, "finish_reason": None}]),
        chat_chunk([{"index": 0, "delta": {"content": "b"}, "finish_reason": "stop"}]),
    )
    assert TextReducer().run(iter_events(body)) == "ab"
    assert TextReducer(choice=1).run(iter_events(body)) == "X"


def test_tool_calls_chat_parallel_and_only_when_finished() -> None:
    def call(index: int, **fields: object) -> dict:  # type: ignore[type-arg]
        return {"index": index, **fields}

    first = chat_chunk(
        [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        call(
                            0,
                            id="call_a",
                            type="function",
                            function={"name": "f", "arguments": '{"x"'},
                        ),
                        call(
                            1, id="call_b", type="function", function={"name": "g", "arguments": ""}
                        ),
                    ]
                },
                "finish_reason": None,
            }
        ]
    )
    second = chat_chunk(
        [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        call(1, function={"arguments": "[1]"}),
                        call(0, function={"arguments": ": 1}"}),
                    ]
                },
                "finish_reason": None,
            }
        ]
    )
    final = chat_chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])
    reducer = ToolCallsReducer()
    for event in iter_events(sse(first, second)):
        reducer.step(event)
    assert reducer.result() == []  # not finished yet
    for event in iter_events(sse(final)):
        reducer.step(event)
    calls = reducer.result()
    assert [(c.name, c.call_id, c.parsed, c.tool_index) for c in calls] == [
        ("f", "call_a", {"x": 1}, 0),
        ("g", "call_b", [1], 1),
    ]


def test_tool_calls_invalid_json_is_reported_not_raised() -> None:
    body = sse(
        chat_chunk(
            [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "c", "function": {"name": "f", "arguments": "{oops"}}
                        ]
                    },
                    "finish_reason": None,
                }
            ]
        ),
        chat_chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
    )
    (call,) = ToolCallsReducer().run(iter_events(body))
    assert call.parsed is None and call.parse_error and call.arguments == "{oops"


@pytest.mark.recordings
def test_tool_calls_on_responses_recordings_match_final_items() -> None:
    seen = 0
    for path in RESPONSES:
        events = list(iter_events(path, errors="yield"))
        completed = [e for e in events if type(e).__name__ == "ResponseCompletedEvent"]
        if not completed:
            continue
        expected = [
            (item.name, item.call_id, json.loads(item.arguments))
            for item in completed[-1].response.output or []
            if type(item).__name__ == "FunctionToolCall"
        ]
        got = [
            (c.name, c.call_id, c.parsed)
            for c in ToolCallsReducer().run(events)
            if c.kind == "function"
        ]
        assert got == expected, path.name
        seen += bool(expected)
    assert seen >= 5


@pytest.mark.recordings
def test_output_text_on_responses_recordings_matches_server_text() -> None:
    compared = 0
    for path in RESPONSES:
        events = list(iter_events(path, errors="yield"))
        completed = [e for e in events if type(e).__name__ == "ResponseCompletedEvent"]
        if not completed:
            continue
        expected = "".join(
            part.text
            for item in completed[-1].response.output or []
            if type(item).__name__ == "OutputMessage"
            for part in item.content
            if type(part).__name__ == "OutputText"
        )
        assert TextReducer().run(events) == expected, path.name
        compared += bool(expected)
    assert compared >= 40


@pytest.mark.recordings
def test_usage_on_chat_recordings_is_the_last_reported() -> None:
    with_usage = 0
    for path in CHAT:
        events = list(iter_events(path, errors="yield"))
        reported = [e.usage for e in events if isinstance(e, ChatCompletionChunk) and e.usage]
        assert UsageReducer().run(events) == (reported[-1] if reported else None), path.name
        with_usage += bool(reported)
    assert with_usage >= 10


def test_usage_not_erased_by_a_later_chunk() -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    body = sse(
        chat_chunk([], usage=usage),
        chat_chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
    )
    result = UsageReducer().run(iter_events(body))
    assert result is not None and result.total_tokens == 3


def fake_clock(times: list[float]) -> Iterator[float]:
    yield from times


def test_timing_with_injected_clock() -> None:
    ticks = iter([100.0, 100.5, 101.0, 101.25, 101.75, 102.0])
    timing = TimingReducer(clock=lambda: next(ticks))  # start = 100.0
    body = sse(
        {"type": "response.in_progress_like_unknown"},
        text_delta(1, "a"),
        text_delta(2, "b"),
        text_delta(3, "c"),
        {"type": "response.other_unknown"},
    )
    stats = timing.run(iter_events(body))
    assert stats.time_to_first_event == 0.5
    assert stats.time_to_first_token == 1.0
    assert stats.token_deltas == 3
    assert stats.gap_max == 0.5 and stats.gap_mean == pytest.approx(0.375)
    assert stats.duration == 2.0
    assert stats.tokens_per_second == pytest.approx(3 / 0.75)


# -- combinators -----------------------------------------------------------------------


def body_of_deltas(n: int) -> bytes:
    return sse(*[text_delta(i, f"w{i} ") for i in range(n)])


def test_combine_tuple_and_named_equal_separate_runs() -> None:
    body = body_of_deltas(20)
    both = combine(TextReducer(), TimingReducer(clock=lambda: 0.0)).run(iter_events(body))
    assert both[0] == TextReducer().run(iter_events(body))
    named = combine(text=TextReducer(), count=fold(lambda n, _: n + 1, 0)).run(iter_events(body))
    assert named == {"text": both[0], "count": 20}
    with pytest.raises(TypeError):
        combine(TextReducer(), text=TextReducer())  # type: ignore[call-overload]


def test_filter_map_tap_scan() -> None:
    events = list(iter_events(body_of_deltas(5)))
    count_deltas = filter_events(ResponseTextDeltaEvent, fold(lambda n, _: n + 1, 0))
    assert count_deltas.run([*events, object()]) == 5
    lengths = map_events(lambda e: len(e.delta), fold(lambda acc, n: [*acc, n], []))
    assert lengths.run(events) == [3, 3, 3, 3, 3]
    seen: list[str] = []
    assert tap(lambda e: seen.append(e.delta), TextReducer()).run(events) == "w0 w1 w2 w3 w4 "
    assert seen == ["w0 ", "w1 ", "w2 ", "w3 ", "w4 "]
    assert list(scan(TextReducer(), events[:3])) == ["w0 ", "w0 w1 ", "w0 w1 w2 ", "w0 w1 w2 "]
    assert (
        filter_events(lambda e: e.sequence_number % 2 == 0, TextReducer()).run(events)
        == "w0 w2 w4 "
    )


def test_tool_calls_partial_arguments_while_streaming() -> None:
    pieces = ['{"city": "Pa', 'ris", "days": [1, ', "2]", "}"]
    reducer = ToolCallsReducer(partial=True)
    first = chat_chunk(
        [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": 0, "id": "c1", "function": {"name": "weather", "arguments": ""}}
                    ]
                },
                "finish_reason": None,
            }
        ]
    )
    for event in iter_events(sse(first)):
        reducer.step(event)
    seen = []
    for piece in pieces:
        for event in iter_events(
            sse(
                chat_chunk(
                    [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [{"index": 0, "function": {"arguments": piece}}]
                            },
                            "finish_reason": None,
                        }
                    ]
                )
            )
        ):
            reducer.step(event)
        (progress,) = reducer.in_progress()
        seen.append(json.dumps(progress.partial))
    assert seen == [
        '{"city": "Pa"}',
        '{"city": "Paris", "days": [1]}',
        '{"city": "Paris", "days": [1, 2]}',
        '{"city": "Paris", "days": [1, 2]}',
    ]
    assert reducer.result() == []  # never complete before the finish signal
    for event in iter_events(
        sse(chat_chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))
    ):
        reducer.step(event)
    assert reducer.in_progress() == []
    assert reducer.result()[0].parsed == {"city": "Paris", "days": [1, 2]}


# -- Anthropic Messages ----------------------------------------------------------------


def _message(events: list[Any]) -> Any:
    reducer = MessageReducer(index_policy="ignore")
    for event in events:
        reducer.step(event)
    return reducer.finish()


@pytest.mark.parametrize("path", recording_params(MESSAGES))
def test_small_reducers_on_messages_recordings_agree_with_the_fold(path: Path) -> None:
    events = list(iter_events(path, errors="yield"))
    message = _message(events)
    text = "".join(b.text for b in message.content if isinstance(b, TextBlock))
    assert TextReducer().run(events) == text
    assert UsageReducer().run(events) == message.usage
    tools = ToolCallsReducer(partial=True)
    done = tools.run(events)
    stopped = {
        e.index for e in events if type(e).__name__ == "ContentBlockStopEvent"
    }  # blocks that completed
    expected = [(i, b) for i, b in enumerate(message.content) if isinstance(b, TOOL_INPUT_BLOCKS)]
    assert [(c.tool_index, c.name, c.call_id, c.parsed) for c in done] == [
        (i, b.name, b.id, b.input)
        for i, b in expected
        if i in stopped  # type: ignore[attr-defined]
    ]
    assert all(c.parse_error is None for c in done)
    assert [c.kind for c in done] == [
        type(b).__struct_config__.tag for i, b in expected if i in stopped
    ]
    # A tool block cut by max_tokens is still streaming: shown best-effort.
    assert [(p.tool_index, p.partial) for p in tools.in_progress()] == [
        (i, b.input)
        for i, b in expected
        if i not in stopped  # type: ignore[attr-defined]
    ]


@pytest.mark.recordings
def test_tool_use_without_input_parses_as_an_empty_object() -> None:
    paths = [p for p in MESSAGES if "no-input" in p.name]
    assert paths, "no recording of a tool use without input"
    for path in paths:
        [call] = ToolCallsReducer().run(iter_events(path))
        assert call.arguments == "" and call.parsed == {} and call.parse_error is None
        assert call.kind == "tool_use" and call.name


def test_messages_tool_calls_stream_and_complete_on_block_stop() -> None:
    events = messages_events(seed=2, text_words=0, tool_calls=3)
    reducer = ToolCallsReducer(partial=True)
    sent: dict[int, str] = {}
    for event in events:
        reducer.step(event)
        if isinstance(event, ContentBlockDeltaEvent) and isinstance(event.delta, InputJSONDelta):
            sent[event.index] = sent.get(event.index, "") + event.delta.partial_json
            (progress,) = reducer.in_progress()
            reference = PartialJSON()
            reference.feed(sent[event.index])
            expected = reference.value() if sent[event.index] else {}
            assert progress.tool_index == event.index and progress.partial == expected
            assert progress.arguments == sent[event.index]
    calls = reducer.result()
    assert reducer.in_progress() == []
    assert [c.tool_index for c in calls] == [0, 1, 2]
    assert [c.parsed for c in calls] == [json.loads(sent[i]) for i in range(3)]
    assert all(c.output_index is None and c.choice_index is None for c in calls)


def test_messages_usage_replaces_cumulative_totals() -> None:
    events = list(iter_events(messages_stream(seed=5, text_words=30)))
    start = events[0].message.usage
    reducer = UsageReducer()
    reducer.step(events[0])
    first = reducer.result()
    assert first == start and first is not start  # a copy: the event is left alone
    body = next(e for e in events if type(e).__name__ == "MessageDeltaEvent")
    for _ in range(3):  # the same cumulative totals again: nothing is added up
        reducer.step(body)
    result = reducer.result()
    assert isinstance(result, MessageUsage)
    assert result.output_tokens == body.usage.output_tokens
    assert result.input_tokens == start.input_tokens
    assert result.cache_read_input_tokens == start.cache_read_input_tokens
    assert result.cache_creation == start.cache_creation  # kept from message_start
    assert first.output_tokens == start.output_tokens  # a result never changes later


def test_messages_usage_delta_without_start() -> None:
    payloads = [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 7},
        }
    ]
    body = b"".join(f"event: message_delta\ndata: {json.dumps(p)}\n\n".encode() for p in payloads)
    result = UsageReducer().run(iter_events(body, "messages"))
    assert result == MessageUsage(input_tokens=0, output_tokens=7)


def test_messages_timing_counts_text_tool_and_thinking_deltas() -> None:
    events = messages_events(seed=6, text_words=20, tool_calls=1, thinking=True)
    tokens = [
        e
        for e in events
        if isinstance(e, ContentBlockDeltaEvent)
        and isinstance(e.delta, TextDelta | InputJSONDelta | ThinkingDelta)
    ]
    clock = iter(float(i) for i in range(len(events) + 1))
    stats = TimingReducer(clock=lambda: next(clock)).run(events)
    assert stats.events == len(events)
    assert stats.token_deltas == len(tokens)  # the signature delta is not a token
    first = events.index(tokens[0]) + 1
    assert stats.time_to_first_token == first
    assert stats.output_tokens == events[-2].usage.output_tokens  # type: ignore[union-attr]
    span = events.index(tokens[-1]) - events.index(tokens[0])
    assert stats.tokens_per_second == pytest.approx(stats.output_tokens / span)


def test_timing_survives_a_token_count_no_float_can_hold() -> None:
    # Found by fuzzing: a usage count beyond float range made the rate raise.
    huge = "9" * 400
    body = (
        'data:{"type":"message_start","message":{"id":"m","type":"message","role":"assistant",'
        '"model":"x","content":[],"usage":{"input_tokens":4,"output_tokens":' + huge + "}}}\n\n"
        'data:{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"a"}}\n\n'
        'data:{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"b"}}\n\n'
    ).encode()
    ticks = iter(range(100))
    stats = TimingReducer(clock=lambda: float(next(ticks))).run(iter_events(body))
    assert stats.token_deltas == 2 and stats.tokens_per_second is None
