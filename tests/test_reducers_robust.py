"""Reducers on broken and hostile streams: impossible indices, events aimed at items
of another kind, endless repeated faults, arguments nested thousands deep.

Whatever the stream, a reducer returns a result or raises a ``StreamError``; the
integrity policies decide which, and integrity records stay bounded.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from functools import cache
from typing import Any

import msgspec
import pytest
from helpers import recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reducers_responses import created, ev, message_added, text_delta

from streamkit.errors import StreamError
from streamkit.events._common import Done, UnknownEvent
from streamkit.events.chat import CHAT_CHUNK_DECODER
from streamkit.events.completions import COMPLETION_CHUNK_DECODER
from streamkit.events.responses import RESPONSE_EVENT_DECODER, decode_event_tolerant
from streamkit.models.responses import OutputMessage, OutputText, ReasoningItem
from streamkit.reducers import IntegrityPolicy, ToolCallsReducer
from streamkit.reducers._arguments import MAX_ARGUMENT_DEPTH, parse_arguments
from streamkit.reducers._finished import ToolCallDone
from streamkit.reducers._integrity import (
    MAX_RECORDED_ISSUES,
    StreamIntegrityError,
    StreamIntegrityWarning,
)
from streamkit.reducers.chat import ChatCompletionReducer
from streamkit.reducers.completions import CompletionReducer
from streamkit.reducers.responses import ResponseReducer, SequenceIntegrityError
from streamkit.sse._decoder import SSEDecoder
from streamkit.testing import demo_stream

POLICIES: tuple[IntegrityPolicy, ...] = ("ignore", "warn", "raise")
DEEP = 5000  # nesting far beyond the interpreter's recursion limit


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def fold_under(policy: IntegrityPolicy, events: list[Any], **options: Any) -> ResponseReducer:
    """Fold ``events`` with ``index_policy=policy``; check what the policy promises
    for a stream with exactly one bad event (which must then be the last one)."""
    reducer = ResponseReducer(index_policy=policy, sequence_policy="ignore", **options)
    *good, bad = events
    for event in good:
        reducer.step(event)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if policy == "raise":
            with pytest.raises(StreamIntegrityError) as info:
                reducer.step(bad)
            assert info.value.index == len(events) - 1
        else:
            reducer.step(bad)
    integrity = [w for w in caught if issubclass(w.category, StreamIntegrityWarning)]
    assert len(integrity) == (1 if policy == "warn" else 0)
    if integrity:
        assert integrity[0].filename == __file__  # points at the caller of step()
    assert reducer.integrity_issue_count == 1
    assert len(reducer.integrity_issues) == 1
    return reducer


def message_stream() -> list[Any]:
    """A message with one text part "Hello" at output_index 0."""
    return [created(0), message_added(0, 1), text_delta(0, "Hello", 2)]


def reasoning_added(index: int, seq: int) -> Any:
    item = {"type": "reasoning", "id": "rs_1", "summary": []}
    return ev(
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": item,
            "sequence_number": seq,
        }
    )


# --------------------------------------------------------------------------- #
# Responses: negative indices
# --------------------------------------------------------------------------- #

NEGATIVE: dict[str, dict[str, Any]] = {
    "annotation_index": {
        "type": "response.output_text.annotation.added",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "annotation_index": -1,
        "annotation": {
            "type": "url_citation",
            "url": "https://example.com",
            "start_index": 0,
            "end_index": 5,
            "title": "t",
        },
    },
    "content_index": {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": -1,
        "delta": "!",
    },
    "output_index": {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": -1,
        "content_index": 0,
        "delta": "!",
    },
    "summary_index": {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "output_index": 1,
        "summary_index": -1,
        "delta": "think",
    },
    "command_index": {
        "type": "response.shell_call_command.delta",
        "output_index": 1,
        "command_index": -1,
        "delta": "ls",
    },
    "shell output command_index": {
        "type": "response.shell_call_output_content.delta",
        "item_id": "sh_1",
        "output_index": 1,
        "command_index": -3,
        "delta": {"stdout": "x"},
    },
    "reasoning content_index": {
        "type": "response.reasoning_text.delta",
        "item_id": "rs_1",
        "output_index": 1,
        "content_index": -2,
        "delta": "raw",
    },
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("field", list(NEGATIVE))
def test_negative_index_is_an_integrity_issue(field: str, policy: IntegrityPolicy) -> None:
    bad = ev(NEGATIVE[field])
    reducer = fold_under(policy, [*message_stream(), bad])
    name = field.split()[-1]
    assert f"{name} -" in reducer.integrity_issues[0]
    assert "event ignored" in reducer.integrity_issues[0]
    # The event was not folded: the message is intact and nothing else appeared.
    out = reducer.finish().output
    assert len(out) == 1 and isinstance(out[0], OutputMessage)
    assert out[0].content == [OutputText(text="Hello", annotations=[])]


def test_negative_annotation_index_on_an_empty_part_never_raises_index_error() -> None:
    # The fuzzed case: the first event of the part is the bad annotation.
    events = [created(0), message_added(0, 1), ev(NEGATIVE["annotation_index"])]
    reducer = fold_under("ignore", events)
    assert reducer.result().output[0].content == []  # type: ignore[union-attr]


# --------------------------------------------------------------------------- #
# Responses: events aimed at an item of another kind
# --------------------------------------------------------------------------- #

MISMATCHED: dict[str, dict[str, Any]] = {
    "reasoning text at a message": {
        "type": "response.reasoning_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "raw",
    },
    "summary text at a message": {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "summary_index": 0,
        "delta": "think",
    },
    "arguments at a message": {
        "type": "response.function_call_arguments.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "delta": "{}",
    },
    "status at a message": {
        "type": "response.web_search_call.searching",
        "item_id": "msg_1",
        "output_index": 0,
    },
    "reasoning part at a message": {
        "type": "response.content_part.added",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 1,
        "part": {"type": "reasoning_text", "text": ""},
    },
    "shell command at a message": {
        "type": "response.shell_call_command.added",
        "output_index": 0,
        "command_index": 0,
        "command": "ls",
    },
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("case", list(MISMATCHED))
def test_event_aimed_at_another_kind_is_an_integrity_issue(
    case: str, policy: IntegrityPolicy
) -> None:
    reducer = fold_under(policy, [*message_stream(), ev(MISMATCHED[case])], verify=True)
    assert "output_index 0 holds a message item" in reducer.integrity_issues[0]
    out = reducer.finish().output
    assert len(out) == 1 and isinstance(out[0], OutputMessage)
    assert out[0].content == [OutputText(text="Hello", annotations=[])]


@pytest.mark.parametrize("policy", POLICIES)
def test_text_at_a_reasoning_item_is_an_integrity_issue(policy: IntegrityPolicy) -> None:
    events = [created(0), reasoning_added(0, 1), text_delta(0, "Hello", 2)]
    reducer = fold_under(policy, events)
    assert "holds a reasoning item, not a message" in reducer.integrity_issues[0]
    out = reducer.finish().output
    assert isinstance(out[0], ReasoningItem) and out[0].content is msgspec.UNSET


@pytest.mark.parametrize("policy", POLICIES)
def test_item_of_another_kind_replacing_streamed_values_drops_them(
    policy: IntegrityPolicy,
) -> None:
    # Text and a refusal stream into a placeholder message; the server's item
    # then says the index holds a reasoning item.
    refusal = ev(
        {
            "type": "response.refusal.delta",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 1,
            "delta": "no",
        }
    )
    events = [created(0), text_delta(0, "Hello", 1), refusal, reasoning_added(0, 2)]
    reducer = fold_under(policy, events, verify=True)
    assert "streamed values dropped" in reducer.integrity_issues[0]
    if policy != "raise":
        item = reducer.result().output[0]
        assert isinstance(item, ReasoningItem) and item.content is msgspec.UNSET
        done = ev(
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {"type": "reasoning", "id": "rs_1", "summary": []},
            }
        )
        reducer.step(done)
        assert reducer.finish().output == [item]


def test_kind_mismatch_warning_points_at_the_caller_of_feed() -> None:
    events = [*message_stream(), ev(MISMATCHED["reasoning text at a message"])]
    with pytest.warns(StreamIntegrityWarning) as caught:
        ResponseReducer().run(events)
    assert caught[0].filename.endswith("_base.py")  # feed() calls step()


# --------------------------------------------------------------------------- #
# Bounded integrity records
# --------------------------------------------------------------------------- #


def test_repeated_sequence_numbers_keep_a_bounded_record() -> None:
    keepalive = ev({"type": "keepalive", "sequence_number": 1})
    reducer = ResponseReducer(sequence_policy="ignore")
    reducer.step(created(0))
    for _ in range(5000):
        reducer.step(keepalive)
    # The first keepalive is in order; every later one repeats number 1.
    assert reducer.sequence_issue_count == 4999
    assert len(reducer.sequence_issues) == MAX_RECORDED_ISSUES
    assert {i.kind for i in reducer.sequence_issues} == {"duplicate"}
    assert reducer.sequence_issues[0].index == 2
    assert reducer.keepalives == 5000
    # The checkpoint is bounded too, and keeps the count.
    restored = ResponseReducer.restore(reducer.checkpoint(), sequence_policy="ignore")
    assert restored.sequence_issue_count == 4999
    assert len(restored.sequence_issues) == MAX_RECORDED_ISSUES


def test_gaps_remember_a_bounded_number_of_missing_ranges() -> None:
    reducer = ResponseReducer(sequence_policy="ignore")
    keepalive = ev({"type": "keepalive"})
    for seq in range(0, 6000, 2):  # every other number skipped
        reducer.step(msgspec.structs.replace(keepalive, sequence_number=seq))
    state = reducer.state
    assert len(state.missing) <= 1000
    # A late number still remembered is a reorder; one forgotten, a duplicate.
    reducer.step(msgspec.structs.replace(keepalive, sequence_number=5997))
    reducer.step(msgspec.structs.replace(keepalive, sequence_number=1))
    kinds = [i.kind for i in reducer.sequence_issues]
    assert reducer.sequence_issue_count == 2999 + 2
    assert len(kinds) == MAX_RECORDED_ISSUES and set(kinds) == {"gap"}
    assert (5997, 5997) not in state.missing


def test_sequence_issue_under_raise_still_raises() -> None:
    reducer = ResponseReducer(sequence_policy="raise")
    reducer.step(created(0))
    with pytest.raises(SequenceIntegrityError):
        reducer.step(created(0))


def chat_chunk(payload: dict[str, Any]) -> Any:
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    choices = [{"finish_reason": None, **c} for c in payload.get("choices", [])]
    return CHAT_CHUNK_DECODER.decode(json.dumps({**base, **payload, "choices": choices}).encode())


def test_chat_integrity_issues_are_bounded() -> None:
    reducer = ChatCompletionReducer(index_policy="ignore")
    for n in range(500):
        call = {"index": 0, "id": f"call_{n}", "function": {"name": "f", "arguments": ""}}
        reducer.step(chat_chunk({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}))
    assert reducer.integrity_issue_count == 499  # the id changes on every later chunk
    assert len(reducer.integrity_issues) == MAX_RECORDED_ISSUES
    assert reducer.integrity_issues[0].startswith("choice 0 tool call 0: id changed")
    restored = ChatCompletionReducer.restore(reducer.checkpoint(), index_policy="ignore")
    assert restored.integrity_issue_count == 499


def test_completions_integrity_issues_are_bounded() -> None:
    reducer = CompletionReducer(index_policy="ignore")
    base = {"id": "c", "object": "text_completion", "created": 1, "model": "m"}
    for n in range(300):
        # A choice index a thousand past the last one seen is reported each time.
        choice = {"index": 1001 * (n + 1), "text": "x", "logprobs": None, "finish_reason": None}
        payload = {**base, "choices": [choice]}
        reducer.step(COMPLETION_CHUNK_DECODER.decode(json.dumps(payload).encode()))
    assert reducer.integrity_issue_count == 300
    assert len(reducer.integrity_issues) == MAX_RECORDED_ISSUES


# --------------------------------------------------------------------------- #
# Tool arguments nested deeper than the recursion limit
# --------------------------------------------------------------------------- #


def test_parse_arguments_bounds_nesting_depth() -> None:
    at_limit = "[" * MAX_ARGUMENT_DEPTH + "]" * MAX_ARGUMENT_DEPTH
    parsed, error = parse_arguments(at_limit)
    assert error is None and parsed is not None
    too_deep = "[" + at_limit + "]"
    assert parse_arguments(too_deep) == (
        None,
        f"nesting deeper than {MAX_ARGUMENT_DEPTH} levels (char {MAX_ARGUMENT_DEPTH})",
    )
    # Brackets inside strings (escaped quotes included) are not nesting.
    text = json.dumps({"a": '["\\"' + "[{" * DEEP})
    assert parse_arguments(text) == (json.loads(text), None)
    # Invalid JSON is reported with the parser's message and position.
    parsed, error = parse_arguments('{"a":')
    assert parsed is None and error is not None and "char 5" in error


def deep_object() -> str:
    return '{"a":' * DEEP + "1" + "}" * DEEP


def test_chat_deep_arguments_are_a_parse_error() -> None:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    call["function"]["arguments"] = deep_object()
    reducer = ChatCompletionReducer()
    reducer.step(chat_chunk({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}))
    reducer.step(chat_chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    reducer.step(Done())
    (done,) = reducer.take_finished()
    assert isinstance(done, ToolCallDone)
    assert done.parsed is None and done.parse_error is not None
    assert "nesting deeper than" in done.parse_error
    assert reducer.finish().verdict.status == "completed"


def test_responses_deep_arguments_are_a_parse_error() -> None:
    arguments = deep_object()
    item = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c1",
        "name": "f",
        "arguments": "",
        "status": "in_progress",
    }
    events = [
        created(0),
        ev({"type": "response.output_item.added", "output_index": 0, "item": item}),
        ev(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc_1",
                "output_index": 0,
                "delta": arguments,
            }
        ),
        ev(
            {
                "type": "response.function_call_arguments.done",
                "item_id": "fc_1",
                "output_index": 0,
                "arguments": arguments,
            }
        ),
    ]
    reducer = ResponseReducer()
    reducer.run(events)
    calls = [f for f in reducer.take_finished() if isinstance(f, ToolCallDone)]
    assert len(calls) == 1 and calls[0].parsed is None
    assert "nesting deeper than" in (calls[0].parse_error or "")
    # The small ToolCallsReducer reports it the same way.
    small = ToolCallsReducer()
    small.run(events)
    (call,) = small.result()
    assert call.parsed is None and "nesting deeper than" in (call.parse_error or "")


# --------------------------------------------------------------------------- #
# Fuzzing the Responses fold
# --------------------------------------------------------------------------- #

INDEX_FIELDS = (
    "output_index",
    "content_index",
    "summary_index",
    "annotation_index",
    "command_index",
    "partial_image_index",
)
# Event types of the same shape, swapped to aim an event at another item kind.
SAME_SHAPE = (
    "response.output_text.delta",
    "response.refusal.delta",
    "response.reasoning_text.delta",
    "response.function_call_arguments.delta",
    "response.custom_tool_call_input.delta",
    "response.mcp_call_arguments.delta",
    "response.code_interpreter_call_code.delta",
    "response.reasoning_summary_text.delta",
    "response.web_search_call.searching",
    "response.file_search_call.completed",
    "response.image_generation_call.in_progress",
    "response.mcp_list_tools.in_progress",
)


def payloads_of(body: bytes) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    out = []
    for frame in decoder.feed(body) + decoder.close():
        data = bytes(frame.data)
        if data != b"[DONE]":
            out.append(json.loads(data))
    return out


@cache
def sources() -> tuple[tuple[dict[str, Any], ...], ...]:
    """Generated streams of every shape, plus the real recordings with the most
    kinds of events (when the corpus is present)."""
    bodies = [demo_stream("responses-tools")]
    bodies += [demo_stream("responses-tools", seed=seed) for seed in (1, 2)]
    real = recording_paths("responses")
    kinds = {p: len({e["type"] for e in payloads_of(p.read_bytes())}) for p in real}
    bodies += [p.read_bytes() for p in sorted(real, key=lambda p: -kinds[p])[:6]]
    return tuple(tuple(payloads_of(body)) for body in bodies)


def decode(payload: dict[str, Any]) -> Any:
    raw = json.dumps(payload).encode()
    try:
        return RESPONSE_EVENT_DECODER.decode(raw)
    except msgspec.MsgspecError:
        pass
    try:
        event = decode_event_tolerant(raw)
    except msgspec.MsgspecError:  # a swapped type may lack a required field
        event = None
    return event if event is not None else UnknownEvent(type=str(payload["type"]), raw=raw)


@st.composite
def mutated_streams(draw: st.DrawFn) -> list[Any]:
    stream = [dict(p) for p in draw(st.sampled_from(sources()))]
    item_ids = sorted({p["item_id"] for p in stream if isinstance(p.get("item_id"), str)})
    for _ in range(draw(st.integers(1, 12))):
        if not stream:
            break
        at = draw(st.integers(0, len(stream) - 1))
        payload = dict(stream[at])
        action = draw(st.sampled_from(["index", "index", "item_id", "type", "drop", "dup", "swap"]))
        if action == "index":
            present = [f for f in INDEX_FIELDS if f in payload]
            if present:
                field = draw(st.sampled_from(present))
                others = [p[field] for p in stream if isinstance(p.get(field), int)]
                payload[field] = draw(
                    st.one_of(
                        st.sampled_from([-1, -2, -(2**31), 2**31, 2**62, 10**6]),
                        st.sampled_from(others) if others else st.just(0),
                        st.integers(-3, 8),
                    )
                )
        elif action == "item_id" and "item_id" in payload:
            payload["item_id"] = draw(st.sampled_from([*item_ids, "", "nope"]))
        elif action == "type" and payload.get("type") in SAME_SHAPE:
            payload["type"] = draw(st.sampled_from(SAME_SHAPE))
            payload.setdefault("summary_index", payload.get("content_index", 0))
            payload.setdefault("content_index", payload.get("summary_index", 0))
        elif action == "drop":
            del stream[at]
            continue
        elif action == "dup":
            stream.insert(at, payload)
        elif action == "swap" and at + 1 < len(stream):
            stream[at], stream[at + 1] = stream[at + 1], stream[at]
            continue
        stream[at] = payload
    return [decode(p) for p in stream]


def run(events: list[Any], reducer: ResponseReducer) -> Iterator[Any]:
    for n, event in enumerate(events):
        reducer.step(event)
        if n % 7 == 0:
            yield reducer.result()
            yield reducer.take_finished()
    final = reducer.finish()
    yield msgspec.json.encode(final)
    yield reducer.take_finished()
    yield ResponseReducer.restore(reducer.checkpoint(), verify=reducer.verify).result()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(events=mutated_streams(), policy=st.sampled_from(POLICIES), verify=st.booleans())
def test_fuzzed_responses_streams_only_raise_stream_errors(
    events: list[Any], policy: IntegrityPolicy, verify: bool
) -> None:
    reducer = ResponseReducer(verify=verify, index_policy=policy, sequence_policy=policy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StreamIntegrityWarning)
        try:
            for _ in run(events, reducer):
                pass
        except StreamError as exc:
            # Only the "raise" policy turns a broken stream into an exception.
            assert policy == "raise", exc
            assert isinstance(exc, StreamIntegrityError)


def test_fuzz_sources_cover_every_index_field() -> None:
    """The streams the fuzzer mutates carry the index fields it rewrites."""
    seen = {f for stream in sources() for p in stream for f in INDEX_FIELDS if f in p}
    assert {"output_index", "content_index"} <= seen
    if recording_paths("responses"):
        assert {"summary_index", "annotation_index"} <= seen


def test_chat_integrity_warnings_point_at_the_caller_of_step() -> None:
    call = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": ""}}
    changed = {**call, "id": "call_2"}
    chunks = [
        chat_chunk({"choices": [{"index": -1, "delta": {"content": "a"}}]}),
        chat_chunk({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}),
        chat_chunk({"choices": [{"index": 0, "delta": {"tool_calls": [changed]}}]}),
        chat_chunk({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": -2}]}}]}),
    ]
    reducer = ChatCompletionReducer()
    with pytest.warns(StreamIntegrityWarning) as caught:
        for chunk in chunks:
            reducer.step(chunk)
    assert [w.filename for w in caught] == [__file__] * 4
    assert reducer.integrity_issue_count == 4
