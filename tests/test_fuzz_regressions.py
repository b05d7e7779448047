"""Inputs that once broke a layer, minimized by the fuzz harness
(benchmarks/fuzz.py), each run through every layer with the harness's own
check (returns or raises a StreamError, oracles agree, time and memory
bounded) plus an assertion on what the layer should make of it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

import streamkit
from benchmarks import fuzz
from streamkit.errors import StreamError
from streamkit.reducers import ToolCallsReducer
from streamkit.testing import responses_stream

_CHUNK = b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'


def _chat(*choices: bytes) -> bytes:
    return b"".join(b"data: " + _CHUNK + c + b"}\n\n" for c in choices) + b"data: [DONE]\n\n"


def _responses(*payloads: bytes) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads)


_CREATED = (
    b'{"type":"response.created","sequence_number":0,"response":{"id":"r","object":"response",'
    b'"created_at":1,"status":"in_progress","model":"m","output":[],"error":null,'
    b'"incomplete_details":null,"instructions":null,"tools":[],"parallel_tool_calls":true,'
    b'"tool_choice":"auto","metadata":{},"temperature":1,"top_p":1}}'
)
_MESSAGE = (
    b'{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":'
    b'{"type":"message","id":"m","role":"assistant","content":[],"status":"in_progress"}}'
)
_PART = (
    b'{"type":"response.content_part.added","sequence_number":2,"item_id":"m","output_index":0,'
    b'"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}'
)

REPRODUCERS = {
    # A chat tool call fragment without the (required) "index": the tool
    # calls reducer compared the missing value with an int.
    "chat tool call without index": (
        b'data:{"id":"","object":"","created":1,"model":"","choices":[{"index":0,"delta":'
        b'{"":"","tool_calls":[{"":"","":{"":"","":""}}]},"":null}]}\n\n'
    ),
    "chat tool calls without index, told apart by id": _chat(
        b'[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function","function":'
        b'{"name":"f","arguments":"{}"}}]}}]',
        b'[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function","function":'
        b'{"name":"g","arguments":"{\\"x\\":1}"}}]},"finish_reason":"tool_calls"}]',
    ),
    # A chunk-shaped first payload, then a Responses-shaped one: with both in
    # one read the event decoder had switched to Responses before the first
    # event reached the fold, which then chose another API than when the
    # payloads came in two reads.
    "first payload chat, second responses": (
        b'data:{"":[],"created":0,"id":"","model":"","object":"","":[{"":{"":{"":false,"":""},'
        b'"":{"":false,"":""}}}]}\n\ndata:{"type":"","":"","":""}\n\n'
    ),
    # JSON nested deeper than the interpreter's recursion limit, terminated
    # or not, in an event payload and in tool arguments.
    "deeply nested payload, unterminated": b'data:{"":' + b"[" * 3000 + b"\n\n",
    "deeply nested payload": (
        b'data:{"type":"response.created","response":' + b"[" * 3000 + b"]" * 3000 + b"}\n\n"
    ),
    "deeply nested tool arguments": _chat(
        b'[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":'
        b'{"name":"f","arguments":"' + b"[" * 5000 + b"]" * 5000 + b'"}}]},'
        b'"finish_reason":"tool_calls"}]'
    ),
    # Index fields below zero or beyond the items they address.
    "negative annotation index": _responses(
        _CREATED,
        _MESSAGE,
        _PART,
        b'{"type":"response.output_text.annotation.added","sequence_number":3,"item_id":"m",'
        b'"output_index":0,"content_index":0,"annotation_index":-1,"annotation":'
        b'{"type":"url_citation","url":"u","title":"t","start_index":0,"end_index":1}}',
    ),
    "negative content index": _responses(
        _CREATED,
        _MESSAGE,
        b'{"type":"response.output_text.delta","sequence_number":2,"item_id":"m",'
        b'"output_index":0,"content_index":-1,"delta":"x"}',
    ),
    "huge output index": _responses(
        _CREATED,
        b'{"type":"response.output_text.delta","sequence_number":1,"item_id":"m",'
        b'"output_index":9223372036854775807,"content_index":0,"delta":"x"}',
    ),
    # An event aimed at an item of another kind.
    "reasoning delta aimed at a message": _responses(
        _CREATED,
        _MESSAGE,
        _PART,
        b'{"type":"response.reasoning_text.delta","sequence_number":3,"item_id":"m",'
        b'"output_index":0,"content_index":0,"delta":"x"}',
    ),
    # An item of an unknown kind (empty type) with duplicate keys: lossless mode
    # must forward its payload, not rebuild it from the stand-in.
    "unknown item kind with duplicate keys": (
        b'data:{"type":"response.output_item.done","item":{"":"","":[{"":"","":[]}],"":"",'
        b'"":"","type":""},"output_index":0,"":5}\n\n'
    ),
    # A retry field longer than Python's int-string conversion limit.
    "retry of 5000 digits": b"retry: " + b"9" * 5000 + b"\ndata: x\n\n",
}


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # integrity warnings are expected here
        yield


@pytest.mark.parametrize("layer", list(fuzz.LAYERS))
@pytest.mark.parametrize("name", list(REPRODUCERS))
def test_every_layer_survives(name: str, layer: str) -> None:
    data = REPRODUCERS[name]
    assert fuzz.check(layer, [data]) is None
    # Chunked as the harness might: a byte at a time and at line endings.
    if len(data) < 2000:
        assert fuzz.check(layer, [data[i : i + 1] for i in range(len(data))]) is None
    cuts = [i + 1 for i, b in enumerate(data) if b == 10]
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True) if b > a]
    assert fuzz.check(layer, pieces) is None


def test_a_tool_call_without_index_is_reported_by_the_tool_calls_reducer() -> None:
    tools = ToolCallsReducer(partial=True)
    for event in streamkit.iter_events(REPRODUCERS["chat tool call without index"]):
        tools.step(event)
        (progress,) = tools.in_progress()
        assert progress.tool_index == 0 and progress.arguments == ""


def test_tool_calls_without_index_are_told_apart_by_id_as_the_chat_fold_does() -> None:
    body = REPRODUCERS["chat tool calls without index, told apart by id"]
    calls = ToolCallsReducer().run(streamkit.iter_events(body))
    assert [(c.name, c.parsed, c.call_id, c.tool_index) for c in calls] == [
        ("f", {}, "a", 0),
        ("g", {"x": 1}, "b", 1),
    ]
    message = streamkit.reduce(body).choices[0].message
    assert message.tool_calls is not None
    assert [(t.id, t.function.name) for t in message.tool_calls] == [("a", "f"), ("b", "g")]


@pytest.mark.parametrize(
    "name",
    [
        "negative annotation index",
        "negative content index",
        "huge output index",
        "reasoning delta aimed at a message",
    ],
)
def test_bad_indices_and_kinds_are_stream_errors_or_recorded_issues(name: str) -> None:
    try:
        result = streamkit.reduce(REPRODUCERS[name])
    except StreamError as exc:
        assert exc.index is not None
    else:
        assert result.verdict.status in ("truncated", "unterminated")


@pytest.mark.parametrize(
    "body",
    [
        REPRODUCERS["first payload chat, second responses"],
        b'data: {"error":{"message":"x","type":"t"}}\n\n' + responses_stream(text_words=2),
    ],
)
def test_the_fold_chooses_its_api_whatever_the_chunking(body: bytes) -> None:
    whole = streamkit.reduce(body)
    second = body.index(b"\n\n") + 2
    assert streamkit.reduce([body[:second], body[second:]]) == whole
    assert streamkit.reduce([body[i : i + 1] for i in range(len(body))]) == whole


def test_deep_nesting_ends_in_a_stream_error_that_keeps_the_fold() -> None:
    with pytest.raises(StreamError) as info:
        streamkit.reduce(REPRODUCERS["deeply nested payload"])
    assert info.value.index == 0


def test_an_overlong_retry_field_is_clamped() -> None:
    frames = list(streamkit.io.iter_frames(REPRODUCERS["retry of 5000 digits"]))
    assert [(bytes(f.data), f.retry) for f in frames] == [(b"x", 2**63 - 1)]
