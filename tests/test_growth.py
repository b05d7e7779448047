"""What the folds keep as a stream grows, counted rather than timed: a finished
Responses item leaves no container of the fold behind for the garbage collector
to walk (only the result's own), and reading a tool call after every delta gives
the right strings whether or not the caller keeps the earlier ones."""

from __future__ import annotations

import gc
import json
import warnings
from typing import Any

import msgspec
import pytest

import streamkit
from streamkit.reducers import PartialJSON, ToolCallsReducer
from streamkit.testing import demo_stream, responses_stream


def tracked(root: object) -> set[int]:
    """Ids of the objects the garbage collector tracks among the containers and
    Structs reachable from ``root`` (a Struct's fields followed by name, since a
    ``gc=False`` Struct reports no referents)."""
    seen: set[int] = set()
    out: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        if isinstance(obj, msgspec.Struct):
            seen.add(id(obj))
            stack.extend(getattr(obj, name) for name in obj.__struct_fields__)
        elif isinstance(obj, list | dict | tuple | set):
            seen.add(id(obj))
            stack.extend(gc.get_referents(obj))
        else:
            continue
        if gc.is_tracked(obj):
            out.add(id(obj))
    return out


def _event(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def many_items(n: int) -> bytes:
    """A Responses stream of ``n`` message items and ``n`` function calls, each
    added, streamed in two deltas and done."""
    head = responses_stream(text_words=1).split(b"\n\n", 1)[0] + b"\n\n"
    out = [head]
    seq = 1
    for i in range(n):
        mid, fid = f"msg_{i}", f"fc_{i}"
        message = {"type": "message", "id": mid, "role": "assistant", "status": "in_progress"}
        call = {"type": "function_call", "id": fid, "call_id": f"c{i}", "name": "f"}
        text = {"type": "output_text", "text": "", "annotations": []}
        events: list[dict[str, Any]] = [
            {"type": "response.output_item.added", "output_index": 2 * i, "item": message}
            | {"item": message | {"content": []}},
            {
                "type": "response.content_part.added",
                "item_id": mid,
                "output_index": 2 * i,
                "content_index": 0,
                "part": text,
            },
            *(
                {
                    "type": "response.output_text.delta",
                    "item_id": mid,
                    "output_index": 2 * i,
                    "content_index": 0,
                    "delta": word,
                }
                for word in ("hi ", "there")
            ),
            {
                "type": "response.output_item.done",
                "output_index": 2 * i,
                "item": message | {"status": "completed", "content": [text | {"text": "hi there"}]},
            },
            {
                "type": "response.output_item.added",
                "output_index": 2 * i + 1,
                "item": call | {"arguments": "", "status": "in_progress"},
            },
            *(
                {
                    "type": "response.function_call_arguments.delta",
                    "item_id": fid,
                    "output_index": 2 * i + 1,
                    "delta": piece,
                }
                for piece in ('{"a":', "1}")
            ),
            {
                "type": "response.output_item.done",
                "output_index": 2 * i + 1,
                "item": call | {"arguments": '{"a":1}', "status": "completed"},
            },
        ]
        for event in events:
            out.append(_event(event | {"sequence_number": seq}))
            seq += 1
    return b"".join(out)


def fold(data: bytes, **options: Any) -> tuple[Any, Any]:
    reducer: Any = streamkit.reducer_for("responses", **options)
    for event in streamkit.iter_events(data):
        reducer.step(event)
    return reducer, reducer.finish()


@pytest.mark.parametrize("verify", [False, True])
def test_the_responses_fold_keeps_no_containers_per_finished_item(verify: bool) -> None:
    kept = []
    for n in (5, 60):
        reducer, result = fold(many_items(n), verify=verify)
        assert result.verdict.status == "truncated" and len(result.output) == 2 * n
        assert result.output[-1].arguments == '{"a":1}'
        gc.collect()  # a tuple of ints stops being tracked at the collector's first look
        # What the fold holds besides the result (and the containers it shares with it).
        kept.append(len(tracked(reducer.state) - tracked(result)))
    if verify:
        # verify=True keeps what the deltas built, to compare with later values.
        assert kept[1] > kept[0]
    else:
        assert kept[0] == kept[1], kept


def test_releasing_finished_items_changes_no_result() -> None:
    data = many_items(20)
    _, plain = fold(data)
    checked, verified = fold(data, verify=True)
    assert plain == verified and checked.divergences == []
    for name in ("responses-text", "responses-tools", "responses-reasoning"):
        body = demo_stream(name)
        assert fold(body)[1] == fold(body, verify=True)[1] == streamkit.reduce(body)


def test_a_finished_item_takes_late_deltas_without_changing() -> None:
    data = many_items(2)
    late = _event(
        {
            "type": "response.output_text.delta",
            "item_id": "msg_0",
            "output_index": 0,
            "content_index": 0,
            "delta": " late",
            "sequence_number": 10_000,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, result = fold(data + late)
    assert result.output[0].content[0].text == "hi there"


# Reading tool calls after every delta ---------------------------------------------------


def _argument_deltas(text: str) -> list[bytes]:
    start = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": ""}}
                    ]
                },
            }
        ],
    }
    out = [_event(start)]
    for piece in text:
        tool = {"index": 0, "function": {"arguments": piece}}
        chunk = start | {"choices": [{"index": 0, "delta": {"tool_calls": [tool]}}]}
        out.append(_event(chunk))
    return out


@pytest.mark.parametrize("keep", [False, True], ids=["dropped", "kept"])
def test_in_progress_reads_are_right_whether_or_not_the_caller_keeps_them(keep: bool) -> None:
    text = '{"city": "Zürich", "days": [1, 2, 3], "note": "a\\"b"}'
    reducer = ToolCallsReducer(partial=True)
    held: list[tuple[str, Any]] = []
    for i, event in enumerate(streamkit.iter_events(b"".join(_argument_deltas(text)))):
        reducer.step(event)
        (progress,) = reducer.in_progress()
        assert progress.arguments == text[:i]
        if keep:
            held.append((progress.arguments, progress.partial))
    # Strings returned earlier never change afterwards.
    assert [arguments for arguments, _ in held] == [text[:i] for i in range(len(held))]
    assert progress.partial == json.loads(text)


def test_partial_json_string_values_read_earlier_never_change() -> None:
    for text in ('"one long string value"', '{"k": "one long string value"}'):
        parser = PartialJSON()
        reads: list[Any] = []
        for char in text:
            parser.feed(char)
            value = parser.value()
            reads.append(value if isinstance(value, str) else value.get("k"))
        body = "one long string value"
        strings = [r for r in reads if isinstance(r, str)]
        assert strings[-1] == body
        assert all(body.startswith(s) for s in strings)
        assert sorted(strings, key=len) == strings  # each a prefix of the next
