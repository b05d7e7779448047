"""MessageReducer: the fold of a Messages stream, checked against the official
``anthropic`` SDK accumulator, and its verdicts, checkpoints and integrity policy."""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec
import pytest
from helpers import chunkings, recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit.errors import APIStreamError
from streamkit.events._decoder import EventDecoder
from streamkit.events.messages import MessagesEvent
from streamkit.models.messages import (
    CONTENT_BLOCK_CLASSES,
    CompactionBlock,
    Message,
    ThinkingBlock,
    ToolUseBlock,
    UnknownBlock,
)
from streamkit.reducers._finished import TextDone, ThinkingDone, ToolCallDone
from streamkit.reducers._integrity import StreamIntegrityError, StreamIntegrityWarning
from streamkit.reducers._partial_json import PartialJSON
from streamkit.reducers.messages import MessageReducer
from streamkit.sse._decoder import SSEDecoder, SSEFrame

anthropic = pytest.importorskip("anthropic")
from anthropic.lib.streaming import _beta_messages as sdk_beta  # noqa: E402
from anthropic.lib.streaming import _messages as sdk  # noqa: E402

PATHS = recording_paths("messages")

# Recordings where streamkit intentionally differs from the GA SDK accumulator;
# each divergence has its own test below.
_DIVERGENT = {
    "anthropic-sdk__compaction__1.sse",  # compaction_delta folded
    "anthropic-sdk__max-tokens__1.sse",  # unfinished tool input keeps its last string
}


# --- helpers -------------------------------------------------------------------------


def _frames(chunks: list[bytes]) -> list[SSEFrame]:
    sse = SSEDecoder()
    frames: list[SSEFrame] = []
    for chunk in chunks:
        frames.extend(sse.feed(chunk))
    frames.extend(sse.close())
    return frames


def iter_message_events(
    frames: list[SSEFrame], *, errors: Literal["raise", "yield"] = "raise"
) -> Iterator[Any]:
    """The shared event decoder over ``frames``, as a Messages stream."""
    decoder = EventDecoder("messages", errors=errors)
    for frame in frames:
        event = decoder.decode(frame)
        if event is not None:
            yield event


def _events(data: bytes) -> list[MessagesEvent]:
    return list(iter_message_events(_frames([data]), errors="yield"))


def reduce_message(chunks: list[bytes], *, strict: bool = False) -> Message:
    """``streamkit.reduce`` of a Messages stream (detected, as for any stream)."""
    message = streamkit.reduce(chunks, strict=strict)
    assert isinstance(message, Message)
    return message


def _fold(events: list[MessagesEvent], **options: Any) -> MessageReducer:
    reducer = MessageReducer(**options)
    for event in events:
        reducer.step(event)
    reducer.finish()
    return reducer


def _sdk_fold(payloads: list[dict[str, Any]], *, beta: bool = False) -> dict[str, Any]:
    """The SDK's final message, fed as its MessageStream feeds it (pings dropped)."""
    snapshot: Any = None
    bufs: dict[int, bytes] = {}
    for payload in payloads:
        if payload["type"] in ("ping", "error"):
            continue
        if beta:
            snapshot = sdk_beta.accumulate_event(
                event=payload, current_snapshot=snapshot, json_bufs=bufs, request_headers=None
            )
        else:
            snapshot = sdk.accumulate_event(
                event=payload, current_snapshot=snapshot, json_bufs=bufs
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns on blocks of kinds it lacks
        result: dict[str, Any] = snapshot.to_dict(mode="json")
    return result


def _wire(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(message))
    data["content"] = [
        msgspec.json.decode(b.raw) if isinstance(b, UnknownBlock) else data["content"][i]
        for i, b in enumerate(message.content)
    ]
    return data


def _known(sdk_message: dict[str, Any]) -> dict[str, Any]:
    """The SDK's message restricted to the fields streamkit models (it keeps unknown
    keys of the wire JSON, such as beta extensions), null fields dropped."""
    content = sdk_message.get("content", [])
    shell = msgspec.convert({**sdk_message, "content": []}, Message)
    out = _wire(shell)
    blocks = []
    for block in content:
        cls = CONTENT_BLOCK_CLASSES.get(block.get("type"))
        if cls is None:
            blocks.append(block)
        else:
            blocks.append(msgspec.json.decode(msgspec.json.encode(msgspec.convert(block, cls))))
    out["content"] = blocks
    return _no_nulls(out)


def _no_nulls(value: Any) -> Any:
    """The SDK writes absent optional fields as null: compare them as absent."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def _payloads(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(bytes(f.data)) for f in _frames([data])]


def _sse(payloads: list[dict[str, Any]]) -> bytes:
    return b"".join(
        b"event: " + p["type"].encode() + b"\ndata: " + json.dumps(p).encode() + b"\n\n"
        for p in payloads
    )


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
        "usage": {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 4},
    },
}


def _text_stream(*pieces: str, stop_reason: str = "end_turn") -> list[dict[str, Any]]:
    return [
        _START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
            for p in pieces
        ),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]


# --- recordings against the SDK ----------------------------------------------------------


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_matches_the_sdk(path: Path) -> None:
    data = path.read_bytes()
    expected = _known(_sdk_fold(_payloads(data)))
    for _name, chunks in chunkings(data, bytewise=False):
        reducer = _fold(list(iter_message_events(_frames(chunks))))
        assert reducer.integrity_issues == []
        got = _no_nulls(_wire(reducer.result()))
        if path.name in _DIVERGENT:
            assert got != expected
        else:
            assert got == expected


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_recording_verdict_at_every_cut(path: Path) -> None:
    events = _events(path.read_bytes())
    final = _fold(events).result()
    assert final.verdict is not None
    stop_reason = final.stop_reason
    if stop_reason in ("end_turn", "stop_sequence", "tool_use"):
        assert final.verdict.status == "completed"
    else:
        assert final.verdict.status == "incomplete"
        assert final.verdict.reason == stop_reason
    stop = next(i for i, e in enumerate(events) if type(e).__name__ == "MessageStopEvent")
    for cut in range(len(events)):
        message = _fold(events[:cut], index_policy="ignore").result()
        assert message.verdict is not None
        assert message.verdict.status == ("truncated" if cut <= stop else final.verdict.status)
        assert message.verdict.events == cut


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_checkpoint_restore_at_every_event(path: Path) -> None:
    events = _events(path.read_bytes())
    expected = _wire(_fold(events).result())
    for cut in range(len(events) + 1):
        first = MessageReducer()
        for event in events[:cut]:
            first.step(event)
        second = MessageReducer.restore(first.checkpoint())
        for event in events[cut:]:
            second.step(event)
        assert _wire(second.finish()) == expected


@pytest.mark.parametrize("path", recording_params(PATHS))
def test_take_finished_reports_each_stopped_block_once(path: Path) -> None:
    events = _events(path.read_bytes())
    reducer = MessageReducer()
    reported: list[Any] = []
    for event in events:
        before = {i for i, b in reducer.state.blocks.items() if b.stopped}
        reducer.step(event)
        done = reducer.take_finished()
        for item in done:
            index = item.tool_index if isinstance(item, ToolCallDone) else item.content_index
            assert index not in before  # reported when it stopped, not later
            assert reducer.state.blocks[index].stopped
        reported.extend(done)
    final = reducer.finish()
    assert reducer.take_finished() == []
    expected: list[Any] = []
    for index, block in enumerate(final.content):
        if not reducer.state.blocks[index].stopped:
            continue
        kind = reducer.state.blocks[index].kind
        if kind == "text":
            expected.append(TextDone(text=block.text, content_index=index))  # type: ignore[union-attr]
        elif kind == "thinking":
            assert isinstance(block, ThinkingBlock)
            expected.append(
                ThinkingDone(
                    thinking=block.thinking, signature=block.signature, content_index=index
                )
            )
        elif kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            expected.append(block.input)  # type: ignore[union-attr]
    got = [r.parsed if isinstance(r, ToolCallDone) else r for r in reported]
    assert got == expected


# --- generated streams against the SDK -------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _splits(draw: st.DrawFn, text: str) -> list[str]:
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=6)))
    points = [0, *[c for c in cuts if c < len(text)], len(text)]
    pieces = [text[a:b] for a, b in itertools.pairwise(points)]
    # The API sends an empty first input_json_delta; models add empty thinking deltas.
    return ["", *pieces] if draw(st.booleans()) else pieces


@st.composite
def _streams(draw: st.DrawFn) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [json.loads(json.dumps(_START))]
    usage = events[0]["message"]["usage"]
    usage["input_tokens"] = draw(st.integers(0, 1000))
    if draw(st.booleans()):
        usage["cache_creation_input_tokens"] = draw(st.integers(0, 50))
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "tool_use", "server_tool_use", "thinking"]))
        deltas: list[dict[str, Any]] = []
        if kind == "text":
            block: dict[str, Any] = {"type": "text", "text": ""}
            if draw(st.booleans()):
                block["citations"] = []
                for _ in range(draw(st.integers(0, 2))):
                    citation = {
                        "type": "char_location",
                        "cited_text": draw(st.text(max_size=6)),
                        "document_index": 0,
                        "document_title": None,
                        "start_char_index": 0,
                        "end_char_index": 3,
                    }
                    deltas.append({"type": "citations_delta", "citation": citation})
            for piece in draw(st.lists(st.text(max_size=10), max_size=5)):
                deltas.append({"type": "text_delta", "text": piece})
        elif kind == "thinking":
            block = {"type": "thinking", "thinking": "", "signature": ""}
            for piece in draw(st.lists(st.text(max_size=10), max_size=5)):
                deltas.append({"type": "thinking_delta", "thinking": piece})
            deltas.append({"type": "signature_delta", "signature": draw(st.text(min_size=1))})
        else:
            block = {"type": kind, "id": f"tool_{index}", "name": "f", "input": {}}
            value = draw(st.dictionaries(st.text(max_size=5), _json_values, max_size=4))
            text = json.dumps(value) if value or draw(st.booleans()) else ""
            for piece in draw(_splits(text)):
                deltas.append({"type": "input_json_delta", "partial_json": piece})
        events.append({"type": "content_block_start", "index": index, "content_block": block})
        if draw(st.booleans()):
            events.append({"type": "ping"})
        events.extend({"type": "content_block_delta", "index": index, "delta": d} for d in deltas)
        events.append({"type": "content_block_stop", "index": index})
    delta_usage: dict[str, Any] = {"output_tokens": draw(st.integers(0, 5000))}
    if draw(st.booleans()):
        delta_usage["input_tokens"] = draw(st.integers(0, 1000))
    if draw(st.booleans()):
        delta_usage["cache_read_input_tokens"] = draw(st.integers(0, 1000))
    if draw(st.booleans()):
        delta_usage["server_tool_use"] = {"web_search_requests": draw(st.integers(0, 3))}
    reason = draw(
        st.sampled_from(
            ["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"]
        )
    )
    events.append(
        {
            "type": "message_delta",
            "delta": {
                "stop_reason": reason,
                "stop_sequence": "STOP" if reason == "stop_sequence" else None,
            },
            "usage": delta_usage,
        }
    )
    events.append({"type": "message_stop"})
    return events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_streams(), st.integers(1, 64))
def test_generated_streams_match_the_sdk(payloads: list[dict[str, Any]], size: int) -> None:
    data = _sse(payloads)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    message = reduce_message(chunks)
    assert message.verdict is not None and message.verdict.status in ("completed", "incomplete")
    assert _no_nulls(_wire(message)) == _known(_sdk_fold(payloads))


# --- divergences from the SDK, one test each ---------------------------------------------


@pytest.mark.recordings
def test_divergence_compaction_delta_is_folded_like_the_beta_sdk() -> None:
    path = next((p for p in PATHS if p.name == "anthropic-sdk__compaction__1.sse"), None)
    assert path is not None, "no compaction recording"
    payloads = _payloads(path.read_bytes())
    message = reduce_message([path.read_bytes()])
    block = message.content[0]
    assert isinstance(block, CompactionBlock)
    assert block.content  # the GA accumulator leaves it null: it ignores compaction_delta
    assert _sdk_fold(payloads)["content"][0].get("content") is None
    assert _no_nulls(_wire(message)) == _known(_sdk_fold(payloads, beta=True))


def test_divergence_unfinished_tool_input_keeps_its_last_string() -> None:
    # The SDK parses with jiter's partial mode, which drops a string still open;
    # streamkit keeps its prefix (PartialJSON): the truncated value is visible.
    payloads = [
        _START,
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"a": 1, "b": "hel'},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "max_tokens", "stop_sequence": None},
            "usage": {"output_tokens": 5},
        },
        {"type": "message_stop"},
    ]
    message = reduce_message([_sse(payloads)])
    assert message.content[0].input == {"a": 1, "b": "hel"}  # type: ignore[union-attr]
    assert _sdk_fold(payloads)["content"][0]["input"] == {"a": 1}
    assert message.verdict is not None and message.verdict.reason == "max_tokens"


def test_divergence_block_index_is_checked() -> None:
    # The SDK appends blocks in arrival order and indexes deltas by list position:
    # a stream that skips index 0 makes it fail; streamkit places blocks by index.
    payloads = [
        _START,
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "b"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_stop"},
    ]
    with pytest.raises(IndexError):
        _sdk_fold(payloads)
    with pytest.warns(StreamIntegrityWarning, match="out of order"):
        message = reduce_message([_sse(payloads)])
    assert [b.text for b in message.content] == ["b"]  # type: ignore[union-attr]
    with pytest.raises(StreamIntegrityError) as info:
        _fold(_events(_sse(payloads)), index_policy="raise")
    assert info.value.index == 1


def test_divergence_delta_for_a_block_never_started() -> None:
    payloads = [
        *_text_stream("a")[:3],
        {"type": "content_block_delta", "index": 5, "delta": {"type": "text_delta", "text": "x"}},
        *_text_stream("a")[3:],
    ]
    with pytest.raises(IndexError):
        _sdk_fold(payloads)
    reducer = _fold(_events(_sse(payloads)), index_policy="ignore")
    assert reducer.integrity_issues == [
        "content_block_delta for content block 5, never started; dropped"
    ]
    assert reducer.result().content[0].text == "a"  # type: ignore[union-attr]


def test_divergence_events_before_message_start() -> None:
    payloads = _text_stream("hi")[1:]
    with pytest.raises(RuntimeError):
        _sdk_fold(payloads)
    reducer = _fold(_events(_sse(payloads)), index_policy="ignore")
    assert reducer.integrity_issues == ["content_block_start before message_start"]
    message = reducer.result()
    assert message.content[0].text == "hi"  # type: ignore[union-attr]
    assert message.id == ""


def _tool_stream(partial_json: str) -> list[dict[str, Any]]:
    return [
        _START,
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": partial_json},
        },
        {"type": "content_block_stop", "index": 0},
    ]


def _finished_tool(payloads: list[dict[str, Any]]) -> tuple[ToolCallDone, Any]:
    reducer = MessageReducer()
    for event in _events(_sse(payloads)):
        reducer.step(event)
    [done] = reducer.take_finished()
    assert isinstance(done, ToolCallDone)
    return done, reducer.result().content[0].input  # type: ignore[union-attr]


def test_divergence_invalid_tool_json_is_kept_not_raised() -> None:
    # The SDK raises in the middle of the stream; streamkit keeps the best-effort
    # value and reports the error on the finished tool call.
    payloads = _tool_stream('{"a": 1, "b": x}')
    with pytest.raises(ValueError, match="Unable to parse tool parameter JSON"):
        _sdk_fold(payloads)
    done, value = _finished_tool(payloads)
    assert done.parse_error is not None
    assert done.arguments == '{"a": 1, "b": x}'
    assert done.parsed is None
    assert value == {"a": 1}


def test_divergence_complete_tool_json_is_parsed_strictly() -> None:
    # jiter's partial mode, which the SDK uses even for the complete text, accepts
    # a mismatched closer; streamkit parses the stopped block's JSON strictly once.
    payloads = _tool_stream('{"a": [1, 2} ')
    assert _sdk_fold(payloads)["content"][0]["input"] == {"a": [1, 2]}
    done, value = _finished_tool(payloads)
    assert done.parse_error is not None
    assert value == {"a": [1, 2]}


# --- usage ---------------------------------------------------------------------------------


def test_usage_is_cumulative_and_merged_field_by_field() -> None:
    payloads = _text_stream("a")
    payloads.insert(
        -2,
        {
            "type": "message_delta",
            "delta": {"stop_reason": None, "stop_sequence": None},
            "usage": {"output_tokens": 4, "input_tokens": 12},
        },
    )
    message = reduce_message([_sse(payloads)])
    usage = message.usage
    assert usage.output_tokens == 9  # the latest total, not 4 + 9 (or 1 + 4 + 9)
    assert usage.input_tokens == 12  # from the earlier delta; the last one omits it
    assert usage.cache_read_input_tokens == 4  # from message_start
    assert _no_nulls(_wire(message)) == _known(_sdk_fold(payloads))


# --- verdicts and errors -----------------------------------------------------------------------

_ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("end_turn", "completed"),
        ("stop_sequence", "completed"),
        ("tool_use", "completed"),
        ("max_tokens", "incomplete"),
        ("model_context_window_exceeded", "incomplete"),
        ("pause_turn", "incomplete"),
        ("refusal", "incomplete"),
        ("a_future_reason", "incomplete"),
    ],
)
def test_verdict_by_stop_reason(reason: str, status: str) -> None:
    message = reduce_message([_sse(_text_stream("x", stop_reason=reason))])
    assert message.stop_reason == reason
    assert message.verdict is not None
    assert message.verdict.status == status
    assert message.verdict.reason == (None if status == "completed" else reason)


def test_error_as_first_event() -> None:
    with pytest.raises(APIStreamError) as info:
        reduce_message([_sse([_ERROR])], strict=True)
    assert info.value.type == "overloaded_error"
    partial = info.value.partial
    assert isinstance(partial, Message) and partial.content == []
    message = reduce_message([_sse([_ERROR])])
    assert message.verdict is not None
    assert message.verdict.status == "errored"
    assert message.verdict.error.type == "overloaded_error"


def test_error_mid_stream_keeps_the_fold_on_partial() -> None:
    payloads = _text_stream("Hel", "lo")
    payloads = [*payloads[:4], _ERROR, *payloads[4:]]
    with pytest.raises(APIStreamError) as info:
        list(streamkit.iter_events(_sse(payloads)))
    assert info.value.index == 4
    with pytest.raises(APIStreamError) as info:
        reduce_message([_sse(payloads)], strict=True)
    assert info.value.type == "overloaded_error"
    partial = info.value.partial
    assert isinstance(partial, Message)
    assert partial.id == "msg_1"
    assert partial.content[0].text == "Hello"  # type: ignore[union-attr]
    assert partial.verdict is not None and partial.verdict.status == "errored"
    message = reduce_message([_sse(payloads)])
    assert message.verdict is not None and message.verdict.status == "errored"
    assert message.content[0].text == "Hello"  # type: ignore[union-attr]


def test_in_progress_before_finish_and_result_is_a_snapshot() -> None:
    reducer = MessageReducer()
    events = _events(_sse(_text_stream("a", "b", "c")))
    for event in events[:3]:
        reducer.step(event)
    early = reducer.result()
    assert early.verdict is not None and early.verdict.status == "in_progress"
    for event in events[3:]:
        reducer.step(event)
    assert early.content[0].text == "a"  # type: ignore[union-attr]
    assert early.usage.output_tokens == 1
    assert reducer.finish().content[0].text == "abc"  # type: ignore[union-attr]


# --- tool input while streaming ------------------------------------------------------------------


def test_partial_input_follows_the_json_as_it_streams() -> None:
    text = json.dumps({"city": "Paris", "days": [1, 2, 3], "units": {"t": "C"}})
    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
    payloads = [
        _START,
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}},
        },
        *(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": p},
            }
            for p in pieces
        ),
        {"type": "content_block_stop", "index": 0},
    ]
    reducer = MessageReducer()
    events = _events(_sse(payloads))
    for event in events[:2]:
        reducer.step(event)
    assert reducer.partial_input(0) == {}
    sent = ""
    for event, piece in zip(events[2:-1], pieces, strict=True):
        reducer.step(event)
        sent += piece
        reference = PartialJSON()
        reference.feed(sent)
        assert reducer.partial_input(0) == reference.value()
    parser, fed = reducer._parsers[0]
    assert fed == len(pieces)
    assert parser._scanned == len(text)  # each character parsed once across all reads
    reducer.step(events[-1])
    assert reducer.partial_input(0) == json.loads(text)
    assert isinstance(reducer.result().content[0], ToolUseBlock)
    with pytest.raises(KeyError):
        reducer.partial_input(7)


def test_delta_of_the_wrong_kind_is_an_integrity_issue() -> None:
    payloads = _text_stream("a")
    payloads.insert(
        3,
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "x"},
        },
    )
    with pytest.warns(StreamIntegrityWarning, match="thinking_delta for content block 0"):
        message = reduce_message([_sse(payloads)])
    assert message.content[0].text == "a"  # type: ignore[union-attr]
