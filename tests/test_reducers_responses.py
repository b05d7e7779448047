"""ResponseReducer: folds Responses streams into the final Response.

The oracle is the server itself: every recording that ends with
``response.completed`` carries the final Response the fold must rebuild.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import RECORDINGS, recording_params, recording_paths

from streamkit.errors import StreamError, StreamIntegrityError, StreamIntegrityWarning
from streamkit.events._common import UnknownEvent
from streamkit.events.responses import (
    RESPONSE_EVENT_DECODER,
    ResponseAudioDeltaEvent,
    ResponseAudioDoneEvent,
    ResponseAudioTranscriptDeltaEvent,
    ResponseCompletedEvent,
    ResponseContentPartDoneEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseImageGenCallPartialImageEvent,
    ResponseIncompleteEvent,
    ResponseKeepaliveEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseWebSearchCallCompletedEvent,
    decode_event_tolerant,
)
from streamkit.models import ServerError
from streamkit.models.responses import (
    ApplyPatchToolCall,
    CodeInterpreterToolCall,
    CustomToolCall,
    FunctionShellCall,
    FunctionToolCall,
    ImageGenToolCall,
    MCPToolCall,
    OutputMessage,
    OutputText,
    ReasoningItem,
    Refusal,
    Response,
    UnknownItem,
    WebSearchToolCall,
)
from streamkit.reducers._finished import (
    ItemDone,
    ReasoningSummaryDone,
    RefusalDone,
    TextDone,
    ToolCallDone,
)
from streamkit.reducers.responses import Divergence, ResponseReducer, SequenceIssue
from streamkit.sse._decoder import SSEDecoder

PATHS = recording_paths("responses")
needs_recordings = pytest.mark.recordings


# --------------------------------------------------------------------------- #
# Loading
# --------------------------------------------------------------------------- #


def events_of(data: bytes) -> list[Any]:
    d = SSEDecoder()
    out: list[Any] = []
    for f in d.feed(data) + d.close():
        if bytes(f.data) == b"[DONE]":  # OpenAI-compatible providers end with it
            continue
        try:
            ev = RESPONSE_EVENT_DECODER.decode(f.data)
        except Exception:
            ev = decode_event_tolerant(f.data)
            if ev is None:
                ev = UnknownEvent(type=msgspec.json.decode(f.data)["type"], raw=bytes(f.data))
        out.append(ev)
    return out


@cache
def recording(name: str) -> tuple[Any, ...]:
    return tuple(events_of((RECORDINGS / "responses" / name).read_bytes()))


def completed_paths() -> list[Path]:
    return [p for p in PATHS if isinstance(recording(p.name)[-1], ResponseCompletedEvent)]


COMPLETED = completed_paths() if PATHS else []
NAMES = [p.name for p in PATHS]


def fold(events: Iterable[Any], **options: Any) -> tuple[ResponseReducer, Response]:
    options.setdefault("sequence_policy", "ignore")
    reducer = ResponseReducer(**options)
    return reducer, reducer.run(events)


def tag(event: Any) -> str:
    if isinstance(event, UnknownEvent):
        return event.type
    return str(type(event).__struct_config__.tag)


def is_done_signal(event: Any) -> bool:
    """Every ``*.done`` event, plus response.completed (the no-done variant)."""
    return tag(event).endswith(".done") or isinstance(event, ResponseCompletedEvent)


def to_builtins(obj: Any) -> Any:
    def hook(value: Any) -> Any:
        if isinstance(value, msgspec.Raw):
            return msgspec.json.decode(value)
        raise NotImplementedError

    return msgspec.to_builtins(obj, enc_hook=hook)


def field_diff(fold_value: Any, server_value: Any, path: str = "", tol: float = 0.0) -> list[str]:
    """Readable differences between two builtins trees (for assertion messages)."""
    out: list[str] = []

    def walk(p: str, a: Any, b: Any) -> None:
        if a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in {**a, **b}:
                walk(f"{p}.{k}", a.get(k, "<absent>"), b.get(k, "<absent>"))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(f"{p}[{i}]", x, y)
        elif (
            tol and isinstance(a, float | int) and isinstance(b, float | int) and abs(a - b) <= tol
        ):
            return
        else:
            out.append(f"{p}: fold={a!r:.120} server={b!r:.120}")

    walk(path, to_builtins(fold_value), to_builtins(server_value))
    return out


def text_view(response: Response) -> dict[str, Any]:
    """The streamed text of a response: what deltas alone must rebuild."""
    view: dict[str, Any] = {}
    for i, item in enumerate(response.output or []):
        if isinstance(item, OutputMessage):
            for j, part in enumerate(item.content):
                key = f"{i}.content[{j}]"
                view[key] = part.text if isinstance(part, OutputText) else part.refusal
        elif isinstance(item, ReasoningItem):
            for j, summary in enumerate(item.summary):
                view[f"{i}.summary[{j}]"] = summary.text
            for j, content in enumerate(item.content or []):
                view[f"{i}.content[{j}]"] = content.text
        elif isinstance(item, FunctionToolCall | MCPToolCall):
            view[f"{i}.arguments"] = item.arguments
        elif isinstance(item, CustomToolCall):
            view[f"{i}.input"] = item.input
        elif isinstance(item, CodeInterpreterToolCall):
            view[f"{i}.code"] = item.code
        elif isinstance(item, ApplyPatchToolCall):
            view[f"{i}.diff"] = getattr(item.operation, "diff", None)
        elif isinstance(item, FunctionShellCall):
            view[f"{i}.commands"] = item.action.commands
    return view


# --------------------------------------------------------------------------- #
# The fold equals the server's final response
# --------------------------------------------------------------------------- #


@needs_recordings
@pytest.mark.parametrize("path", recording_params(COMPLETED))
def test_fold_equals_server_final_response(path: Path) -> None:
    events = recording(path.name)
    _, result = fold(events)
    server = events[-1].response
    problems = field_diff(result, server, "response")
    assert not problems, "\n".join(problems)
    assert result == server  # msgspec equality on the whole Response
    verdict = result.verdict
    assert verdict is not None and verdict.status == "completed" and verdict.ok
    assert verdict.events == len(events)
    seqs = [e.sequence_number for e in events if e.sequence_number is not msgspec.UNSET]
    assert verdict.last_sequence_number == (seqs[-1] if seqs else None)


@needs_recordings
@pytest.mark.parametrize("path", recording_params(COMPLETED))
def test_fold_without_item_done_matches_server(path: Path) -> None:
    """Without output_item.done the items are built from added + deltas + part
    events and only reconciled with response.completed; they must still match
    the server (logprobs up to the server's six-decimal rounding)."""
    events = [e for e in recording(path.name) if not isinstance(e, ResponseOutputItemDoneEvent)]
    _, result = fold(events)
    problems = field_diff(result, events[-1].response, "response", tol=1e-6)
    assert not problems, "\n".join(problems)


@needs_recordings
@pytest.mark.parametrize("name", recording_params(NAMES))
def test_no_done_events_give_the_same_text(name: str) -> None:
    events = recording(name)
    _, full = fold(events)
    _, stripped = fold(e for e in events if not is_done_signal(e))
    assert text_view(stripped) == text_view(full)


@needs_recordings
def test_most_recordings_stream_text() -> None:
    with_text = [n for n in NAMES if any(fold(recording(n))[1].output or [])]
    streamed = [n for n in with_text if any(v for v in text_view(fold(recording(n))[1]).values())]
    assert len(streamed) >= 65, len(streamed)  # the no-done comparison is not vacuous


@needs_recordings
def test_no_done_comparison_can_fail() -> None:
    events = [e for e in recording("dd-trace-py__resp-text__1.sse") if not is_done_signal(e)]
    first = next(i for i, e in enumerate(events) if isinstance(e, ResponseTextDeltaEvent))
    events[first] = msgspec.structs.replace(events[first], delta="XX")
    _, full = fold(recording("dd-trace-py__resp-text__1.sse"))
    _, changed = fold(events)
    assert text_view(changed) != text_view(full)


@needs_recordings
def test_server_final_fields_are_taken_from_the_terminal_response() -> None:
    """The terminal response re-encrypts reasoning state and (OpenRouter)
    assigns permanent item ids: those come from it, the text does not."""
    events = recording("pydantic-ai__resp-openrouter-reasoning-text__1.sse")
    item_done = next(
        e for e in events if isinstance(e, ResponseOutputItemDoneEvent) and e.output_index == 0
    )
    assert item_done.item.id == "rs_tmp_2kbe7x16sax"
    _, result = fold(events)
    assert result.output[0].id == events[-1].response.output[0].id != item_done.item.id

    events = recording("pydantic-ai__resp-reasoning__1.sse")
    done = next(e for e in events if isinstance(e, ResponseOutputItemDoneEvent))
    final = events[-1].response.output[0]
    assert done.item.encrypted_content != final.encrypted_content
    reducer = ResponseReducer(sequence_policy="ignore")
    for event in events[:-1]:
        reducer.step(event)
    assert reducer.result().output[0].encrypted_content == done.item.encrypted_content
    reducer.step(events[-1])
    assert reducer.result().output[0].encrypted_content == final.encrypted_content


@needs_recordings
def test_items_without_item_done_take_the_server_value() -> None:
    # Two mcp_list_tools items never get output_item.done: their tools exist
    # only in response.completed.
    events = recording("pydantic-ai__resp-mcp-list-tools__1.sse")
    reducer = ResponseReducer(sequence_policy="ignore")
    for event in events[:-1]:
        reducer.step(event)
    assert reducer.result().output[0].tools == []
    reducer.step(events[-1])
    assert reducer.result().output[0].tools == events[-1].response.output[0].tools != []


# --------------------------------------------------------------------------- #
# verify=True
# --------------------------------------------------------------------------- #


@needs_recordings
@pytest.mark.parametrize("name", recording_params(NAMES))
def test_verify_reports_nothing_on_recordings(name: str) -> None:
    reducer, _ = fold(recording(name), verify=True)
    assert reducer.divergences == []


def _replace_first(events: list[Any], cls: type, **changes: Any) -> list[Any]:
    i = next(i for i, e in enumerate(events) if isinstance(e, cls))
    events = list(events)
    events[i] = msgspec.structs.replace(events[i], **changes)
    return events


@needs_recordings
def test_verify_detects_an_injected_text_mismatch() -> None:
    events = list(recording("dd-trace-py__resp-text__1.sse"))
    first = next(e for e in events if isinstance(e, ResponseTextDeltaEvent))
    events = _replace_first(events, ResponseTextDeltaEvent, delta=first.delta + "!")
    reducer, result = fold(events, verify=True)
    paths = {d.path for d in reducer.divergences}
    assert "output[0].content[0].text" in paths
    d = next(d for d in reducer.divergences if d.path == "output[0].content[0].text")
    assert isinstance(d, Divergence) and d.fold != d.server and "!" in d.fold
    # the server's value wins in the result
    assert result.output[0].content[0].text == d.server
    # without verify nothing is recorded
    assert fold(events)[0].divergences == []


@needs_recordings
def test_verify_detects_an_injected_arguments_mismatch() -> None:
    events = list(recording("dd-trace-py__resp-tool-call__1.sse"))
    events = _replace_first(events, ResponseFunctionCallArgumentsDeltaEvent, delta='{"x"')
    reducer, _ = fold(events, verify=True)
    assert {d.path for d in reducer.divergences} == {"output[0].arguments"}


@needs_recordings
def test_verify_detects_a_mismatch_only_in_the_final_response() -> None:
    events = list(recording("dd-trace-py__resp-text__1.sse"))
    final = events[-1].response
    message = final.output[0]
    part = msgspec.structs.replace(message.content[0], text="different")
    changed = msgspec.structs.replace(
        final, output=[msgspec.structs.replace(message, content=[part])]
    )
    events[-1] = msgspec.structs.replace(events[-1], response=changed)
    reducer, result = fold(events, verify=True)
    assert [d.path for d in reducer.divergences] == ["output[0].content[0].text"]
    assert result.output[0].content[0].text != "different"  # text stays the fold's


@needs_recordings
def test_verify_detects_a_mismatch_in_output_item_done() -> None:
    events = list(recording("pydantic-ai__resp-custom-tool__1.sse"))
    i, done = next(
        (i, e)
        for i, e in enumerate(events)
        if isinstance(e, ResponseOutputItemDoneEvent) and isinstance(e.item, CustomToolCall)
    )
    events[i] = msgspec.structs.replace(
        done, item=msgspec.structs.replace(done.item, input="tampered")
    )
    reducer, result = fold(events, verify=True)
    index = done.output_index
    original = done.item.input
    path = f"output[{index}].input"
    assert reducer.divergences == [
        # at output_item.done: the deltas against the tampered item ...
        Divergence(path=path, fold=original, server="tampered"),
        # ... and at response.completed: that item against the final response
        Divergence(path=path, fold="tampered", server=original),
    ]
    # output_item.done is the server's full value: it wins.
    assert result.output[index].input == "tampered"


# --------------------------------------------------------------------------- #
# Verdicts
# --------------------------------------------------------------------------- #


def test_verdict_in_progress_before_finish() -> None:
    reducer = ResponseReducer()
    reducer.step(text_delta(0, "hi", seq=0))
    verdict = reducer.result().verdict
    assert verdict is not None and verdict.status == "in_progress" and verdict.events == 1


@needs_recordings
def test_verdict_incomplete() -> None:
    _, result = fold(recording("dd-trace-py__resp-incomplete__1.sse"))
    assert result.verdict is not None
    assert result.verdict.status == "incomplete"
    assert result.verdict.reason == "max_output_tokens"
    assert result.status == "incomplete"
    assert result.output[0].content[0].text.startswith("In the bustling city")


@needs_recordings
def test_verdict_failed_and_errored() -> None:
    events = recording("vercel-ai__resp-failed__1.sse")
    # The recording has an `error` event before response.failed: errored.
    _, result = fold(events)
    assert result.verdict is not None and result.verdict.status == "errored"
    error = result.verdict.error
    assert isinstance(error, ServerError) and error.code == "insufficient_quota"
    assert error.raw is not None and error.raw["sequence_number"] == 2
    assert result.error is not None and result.error.code == "insufficient_quota"
    # Without the error event: failed, with the response's error.
    _, result = fold(e for e in events if not isinstance(e, ResponseErrorEvent))
    assert result.verdict is not None and result.verdict.status == "failed"
    assert result.error is not None and result.verdict.error is not None
    assert (result.verdict.error.code, result.verdict.error.message) == (
        result.error.code,
        result.error.message,
    )
    assert result.verdict.error.raw == msgspec.to_builtins(result.error)
    # The error event alone (no terminal event): errored.
    _, result = fold(e for e in events if not isinstance(e, ResponseFailedEvent))
    assert result.verdict is not None and result.verdict.status == "errored"
    assert result.verdict.last_sequence_number == 2


@needs_recordings
def test_verdict_truncated() -> None:
    events = recording("pydantic-ai__resp-text__2.sse")
    _, result = fold(events[:8])
    assert result.verdict is not None
    assert result.verdict.status == "truncated" and not result.verdict.ok
    assert result.verdict.last_sequence_number == events[7].sequence_number == 7
    assert result.verdict.events == 8
    assert result.output[0].content[0].text  # the text so far is there


# --------------------------------------------------------------------------- #
# Synthetic events
# --------------------------------------------------------------------------- #

RESPONSE = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "model": "m",
    "output": [],
    "error": None,
    "incomplete_details": None,
    "parallel_tool_calls": True,
    "temperature": None,
    "top_p": None,
    "instructions": None,
    "metadata": {},
    "tools": [],
    "tool_choice": "auto",
    "status": "in_progress",
}


def ev(payload: dict[str, Any]) -> ResponseStreamEvent:
    return RESPONSE_EVENT_DECODER.decode(json.dumps(payload).encode())


def created(seq: int = 0) -> ResponseStreamEvent:
    return ev({"type": "response.created", "sequence_number": seq, "response": RESPONSE})


def completed(seq: int, output: list[Any] | None = None) -> ResponseStreamEvent:
    response = {**RESPONSE, "status": "completed", "output": output or []}
    return ev({"type": "response.completed", "sequence_number": seq, "response": response})


def message_added(index: int, seq: int, item_id: str = "msg_1") -> ResponseStreamEvent:
    item = {"type": "message", "id": item_id, "role": "assistant", "content": [], "status": "x"}
    return ev(
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": item,
            "sequence_number": seq,
        }
    )


def text_delta(
    index: int, delta: str, seq: int | None = None, content_index: int = 0
) -> ResponseTextDeltaEvent:
    event = ResponseTextDeltaEvent(
        item_id="msg_1", output_index=index, content_index=content_index, delta=delta
    )
    if seq is not None:
        event = msgspec.structs.replace(event, sequence_number=seq)
    return event


def test_events_before_their_item_create_placeholders() -> None:
    reducer = ResponseReducer()
    events: list[Any] = [
        created(0),
        text_delta(0, "Hel", 1),
        text_delta(0, "lo", 2),
        ev(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc_1",
                "output_index": 1,
                "delta": '{"a":',
                "sequence_number": 3,
            }
        ),
        ev(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc_1",
                "output_index": 1,
                "delta": "1}",
                "sequence_number": 4,
            }
        ),
        ev(
            {
                "type": "response.reasoning_summary_text.delta",
                "item_id": "rs_1",
                "output_index": 2,
                "summary_index": 1,
                "delta": "think",
                "sequence_number": 5,
            }
        ),
        ev(
            {
                "type": "response.web_search_call.searching",
                "item_id": "ws_1",
                "output_index": 3,
                "sequence_number": 6,
            }
        ),
        ev(
            {
                "type": "response.shell_call_command.delta",
                "output_index": 4,
                "command_index": 0,
                "delta": "ls",
                "sequence_number": 7,
            }
        ),
        ev(
            {
                "type": "response.refusal.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 1,
                "delta": "no",
                "sequence_number": 8,
            }
        ),
        ev(
            {
                "type": "response.reasoning_text.delta",
                "item_id": "rs_9",
                "output_index": 5,
                "content_index": 0,
                "delta": "raw",
                "sequence_number": 9,
            }
        ),
    ]
    for event in events:
        reducer.step(event)
    out = reducer.result().output
    assert isinstance(out[0], OutputMessage) and out[0].id == "msg_1"
    assert out[0].content == [OutputText(text="Hello", annotations=[]), Refusal(refusal="no")]
    assert isinstance(out[1], FunctionToolCall) and out[1].arguments == '{"a":1}'
    assert isinstance(out[2], ReasoningItem) and out[2].summary[0].text == "think"
    assert isinstance(out[3], WebSearchToolCall) and out[3].status == "searching"
    assert isinstance(out[4], FunctionShellCall) and out[4].action.commands == ["ls"]
    assert isinstance(out[5], ReasoningItem) and out[5].content is not msgspec.UNSET
    assert out[5].content[0].text == "raw"
    # The real item arrives late: it replaces the placeholder, the text stays.
    reducer.step(message_added(0, 10, item_id="msg_real"))
    out = reducer.result().output
    assert out[0].id == "msg_real" and out[0].content[0].text == "Hello"
    assert reducer.sequence_issues == []


def test_resumed_stream_extends_the_snapshot() -> None:
    """A resumed stream's first snapshot may hold partial items: the deltas
    extend them, and the final response does not repeat the prefix."""
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "in_progress",
        "content": [{"type": "output_text", "text": "Hel", "annotations": []}],
    }
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c1",
        "name": "f",
        "arguments": '{"a"',
        "status": "in_progress",
    }
    snapshot = {**RESPONSE, "output": [message, call]}
    events = [
        ev({"type": "response.in_progress", "sequence_number": 7, "response": snapshot}),
        text_delta(0, "lo", 8),
        ResponseFunctionCallArgumentsDeltaEvent(
            item_id="fc_1", output_index=1, delta=":1}", sequence_number=9
        ),
    ]
    reducer = ResponseReducer(sequence_policy="raise", verify=True)
    for event in events:
        reducer.step(event)
    out = reducer.result().output
    assert out[0].content[0].text == "Hello" and out[1].arguments == '{"a":1}'
    final_message = {**message, "status": "completed"}
    final_message["content"] = [{"type": "output_text", "text": "Hello", "annotations": []}]
    final_call = {**call, "arguments": '{"a":1}', "status": "completed"}
    reducer.step(completed(10, [final_message, final_call]))
    result = reducer.finish()
    assert result.output[0].content[0].text == "Hello"
    assert result.output[1].arguments == '{"a":1}'
    assert result.output[1].status == "completed"
    assert reducer.divergences == []
    assert [type(f).__name__ for f in reducer.take_finished()] == [
        "TextDone",
        "ItemDone",
        "ToolCallDone",
        "ItemDone",
    ]


def test_unknown_content_index_on_a_known_item() -> None:
    reducer = ResponseReducer()
    reducer.run([created(0), message_added(0, 1), text_delta(0, "x", 2, content_index=3)])
    assert reducer.result().output[0].content == [OutputText(text="x", annotations=[])]


def test_refusal_stream() -> None:
    def refusal(delta: str, seq: int) -> ResponseRefusalDeltaEvent:
        return ResponseRefusalDeltaEvent(
            item_id="msg_1", output_index=0, content_index=0, delta=delta, sequence_number=seq
        )

    reducer = ResponseReducer(verify=True)
    for event in [created(0), message_added(0, 1), refusal("I can", 2), refusal("'t", 3)]:
        reducer.step(event)
    assert reducer.result().output[0].content == [Refusal(refusal="I can't")]
    assert reducer.take_finished() == []
    reducer.step(
        ResponseRefusalDoneEvent(
            item_id="msg_1", output_index=0, content_index=0, refusal="I can't", sequence_number=4
        )
    )
    assert reducer.take_finished() == [
        RefusalDone(refusal="I can't", output_index=0, content_index=0)
    ]
    assert reducer.divergences == []


def test_audio_and_transcript_accumulate() -> None:
    reducer = ResponseReducer()
    reducer.run(
        [
            created(0),
            ResponseAudioDeltaEvent(delta="AAA", sequence_number=1),
            ResponseAudioTranscriptDeltaEvent(delta="hel", sequence_number=2),
            ResponseAudioDeltaEvent(delta="BBB", sequence_number=3),
            ResponseAudioTranscriptDeltaEvent(delta="lo", sequence_number=4),
            ResponseAudioDoneEvent(sequence_number=5),
        ]
    )
    assert reducer.audio == "AAABBB"
    assert reducer.audio_transcript == "hello"
    assert reducer.result().output == []


def test_keepalive_and_unknown_events_are_counted_and_ignored() -> None:
    unknown = UnknownEvent(type="response.new_thing", raw=b'{"type":"x","sequence_number":2}')
    reducer = ResponseReducer(sequence_policy="raise")
    result = reducer.run(
        [
            created(0),
            ResponseKeepaliveEvent(sequence_number=1),
            unknown,
            message_added(0, 3),
            text_delta(0, "ok", 4),
        ]
    )
    assert reducer.keepalives == 1 and reducer.unknown_events == 1
    assert reducer.sequence_issues == []  # the unknown event's number was taken into account
    assert result.output[0].content[0].text == "ok"
    assert result.verdict is not None and result.verdict.events == 5


def test_unknown_item_kept_as_is() -> None:
    raw = (
        b'{"type":"response.output_item.added","output_index":0,"sequence_number":1,'
        b'"item":{"type":"hologram","id":"h_1","depth":3}}'
    )
    event = decode_event_tolerant(raw)
    assert isinstance(event, ResponseOutputItemAddedEvent)
    reducer = ResponseReducer()
    reducer.run([created(0), event])
    item = reducer.result().output[0]
    assert isinstance(item, UnknownItem) and item.type == "hologram"
    restored = ResponseReducer.restore(reducer.checkpoint())
    restored.finish()
    assert restored.result() == reducer.result()
    assert msgspec.json.decode(restored.result().output[0].raw)["depth"] == 3


def test_image_generation_partial_image_and_result() -> None:
    added = ev(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "sequence_number": 1,
            "item": {"type": "image_generation_call", "id": "ig_1", "status": "in_progress"},
        }
    )

    def partial(index: int, b64: str, seq: int) -> ResponseImageGenCallPartialImageEvent:
        return ResponseImageGenCallPartialImageEvent(
            output_index=0,
            item_id="ig_1",
            partial_image_index=index,
            partial_image_b64=b64,
            size="1024x1024",
            sequence_number=seq,
        )

    reducer = ResponseReducer()
    reducer.run([created(0), added, partial(0, "P0", 2), partial(1, "P1", 3)])
    item = reducer.result().output[0]
    assert isinstance(item, ImageGenToolCall)
    assert reducer.partial_image(0) == "P1"
    assert item.result is msgspec.UNSET  # a preview is not the result
    assert item.size == "1024x1024"
    done_item = {
        "type": "image_generation_call",
        "id": "ig_1",
        "status": "completed",
        "result": "FULL",
    }
    reducer.step(
        ev(
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "sequence_number": 4,
                "item": done_item,
            }
        )
    )
    assert reducer.result().output[0].result == "FULL"
    assert reducer.partial_image(1) is None


def test_status_events_set_the_item_status() -> None:
    added = ev(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "sequence_number": 1,
            "item": {"type": "web_search_call", "id": "ws_1", "status": "in_progress"},
        }
    )
    reducer = ResponseReducer()
    reducer.run(
        [
            created(0),
            added,
            ResponseWebSearchCallCompletedEvent(output_index=0, item_id="ws_1", sequence_number=2),
        ]
    )
    assert reducer.result().output[0].status == "completed"


@needs_recordings
def test_code_interpreter_statuses_and_code() -> None:
    events = recording("vercel-ai__resp-code-interpreter__2.sse")
    reducer = ResponseReducer(sequence_policy="ignore")
    seen: list[str] = []
    for event in events:
        reducer.step(event)
        if tag(event).startswith("response.code_interpreter_call."):
            item = reducer.result().output[event.output_index]
            assert isinstance(item, CodeInterpreterToolCall)
            seen.append(item.status)
        if isinstance(event, ResponseOutputItemDoneEvent) and isinstance(
            event.item, CodeInterpreterToolCall
        ):
            assert reducer.result().output[event.output_index].code == event.item.code
    assert {"in_progress", "interpreting", "completed"} <= set(seen)


@needs_recordings
def test_shell_output_before_item_done() -> None:
    events = recording("pydantic-ai__resp-shell__2.sse")
    end = next(
        i for i, e in enumerate(events) if tag(e) == "response.shell_call_output_content.done"
    )
    reducer = ResponseReducer()
    for event in events[:end]:
        reducer.step(event)
    delta = events[end - 1]
    item = reducer.result().output[delta.output_index]
    assert item.output[0].stdout == delta.delta.stdout
    assert item.output[0].outcome is msgspec.UNSET  # not known before `.done`
    reducer.step(events[end])
    item = reducer.result().output[delta.output_index]
    assert item.output == events[end].output
    assert item.output[0].outcome.exit_code == 0


# --------------------------------------------------------------------------- #
# Sequence integrity
# --------------------------------------------------------------------------- #


def seq_stream(numbers: list[int]) -> list[Any]:
    return [created(numbers[0])] + [text_delta(0, "x", n) for n in numbers[1:]]


def test_sequence_gap_duplicate_reorder() -> None:
    reducer = ResponseReducer(sequence_policy="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "ignore" never warns
        reducer.run(seq_stream([0, 1, 3, 2, 3, 5, 6, 4]))
    assert reducer.sequence_issues == [
        SequenceIssue(kind="gap", expected=2, got=3, index=2),
        SequenceIssue(kind="reorder", expected=4, got=2, index=3),
        SequenceIssue(kind="duplicate", expected=4, got=3, index=4),
        SequenceIssue(kind="gap", expected=4, got=5, index=5),
        SequenceIssue(kind="reorder", expected=7, got=4, index=7),
    ]
    # every event is still folded
    assert reducer.result().output[0].content[0].text == "x" * 7


def test_sequence_warn_is_the_default() -> None:
    reducer = ResponseReducer()
    with pytest.warns(StreamIntegrityWarning, match="gap: expected 2, got 5"):
        reducer.run(seq_stream([0, 1, 5]))
    assert len(reducer.sequence_issues) == 1


def test_sequence_raise() -> None:
    reducer = ResponseReducer(sequence_policy="raise")
    reducer.step(created(0))
    reducer.step(text_delta(0, "a", 1))
    with pytest.raises(StreamIntegrityError) as info:
        reducer.step(text_delta(0, "b", 1))
    error = info.value
    assert isinstance(error, StreamError)
    assert error.index == 2 and error.event_type == "response.output_text.delta"
    assert error.issue.kind == "duplicate"
    assert reducer.result().output[0].content[0].text == "a"  # not folded


def test_sequence_resumed_stream_starts_anywhere() -> None:
    reducer = ResponseReducer(sequence_policy="raise")
    reducer.run(seq_stream([40, 41, 42]))
    assert reducer.sequence_issues == []
    assert reducer.result().verdict is not None
    assert reducer.result().verdict.last_sequence_number == 42


@needs_recordings
@pytest.mark.parametrize("name", recording_params(NAMES))
def test_recordings_have_no_sequence_issues(name: str) -> None:
    reducer = ResponseReducer(sequence_policy="raise")
    reducer.run(recording(name))
    assert reducer.sequence_issues == []


@needs_recordings
def test_events_without_sequence_numbers_are_not_checked() -> None:
    events = recording("pydantic-ai__resp-text__5.sse")
    assert all(e.sequence_number is msgspec.UNSET for e in events)
    reducer = ResponseReducer(sequence_policy="raise")
    result = reducer.run(events)
    assert result.verdict is not None and result.verdict.last_sequence_number is None


# --------------------------------------------------------------------------- #
# Finished events
# --------------------------------------------------------------------------- #


def finished_trace(events: Iterable[Any]) -> list[tuple[int, Any]]:
    reducer = ResponseReducer(sequence_policy="ignore")
    trace: list[tuple[int, Any]] = []
    for i, event in enumerate(events):
        reducer.step(event)
        trace.extend((i, f) for f in reducer.take_finished())
    reducer.finish()
    trace.extend((-1, f) for f in reducer.take_finished())
    return trace


TERMINALS = (ResponseCompletedEvent, ResponseFailedEvent, ResponseIncompleteEvent)


def _signals(finished: Any) -> Callable[[Any], bool]:
    """Which events may release ``finished``."""
    index = finished.output_index

    def item_or_terminal(e: Any) -> bool:
        if isinstance(e, TERMINALS):
            return True
        return isinstance(e, ResponseOutputItemDoneEvent) and e.output_index == index

    if isinstance(finished, TextDone | RefusalDone):
        return lambda e: (
            item_or_terminal(e)
            or (
                getattr(e, "output_index", None) == index
                and getattr(e, "content_index", None) == finished.content_index
                and tag(e).endswith(".done")
            )
        )
    if isinstance(finished, ReasoningSummaryDone):
        return lambda e: (
            item_or_terminal(e)
            or (
                getattr(e, "output_index", None) == index
                and getattr(e, "summary_index", None) == finished.summary_index
                and tag(e).endswith(".done")
            )
        )
    if isinstance(finished, ToolCallDone):
        return lambda e: (
            item_or_terminal(e)
            or (
                getattr(e, "output_index", None) == index
                and tag(e).endswith(("arguments.done", "input.done"))
            )
        )
    return item_or_terminal


@needs_recordings
@pytest.mark.parametrize("name", recording_params(NAMES))
def test_finished_events_once_and_never_early(name: str) -> None:
    events = recording(name)
    trace = finished_trace(events)
    _, result = fold(events)
    keys = []
    for i, finished in trace:
        assert i >= 0, "nothing is released by finish() alone"
        assert _signals(finished)(events[i]), (finished, tag(events[i]))
        if isinstance(finished, TextDone | RefusalDone):
            keys.append(("text", finished.output_index, finished.content_index))
            part = result.output[finished.output_index].content[finished.content_index]
            got = finished.text if isinstance(finished, TextDone) else finished.refusal
            assert got == (part.text if isinstance(part, OutputText) else part.refusal)
        elif isinstance(finished, ReasoningSummaryDone):
            keys.append(("summary", finished.output_index, finished.summary_index))
            summary = result.output[finished.output_index].summary[finished.summary_index]
            assert finished.text == summary.text
        elif isinstance(finished, ToolCallDone):
            keys.append(("tool", finished.output_index, None))
            item = result.output[finished.output_index]
            assert finished.arguments == getattr(item, "arguments", getattr(item, "input", None))
        else:
            assert isinstance(finished, ItemDone)
            keys.append(("item", finished.output_index, None))
    assert len(keys) == len(set(keys)), "each finished event exactly once"
    if isinstance(events[-1], TERMINALS):
        assert {k[1] for k in keys if k[0] == "item"} == set(range(len(result.output)))
        tools = {
            i
            for i, item in enumerate(result.output)
            if isinstance(item, FunctionToolCall | CustomToolCall | MCPToolCall)
        }
        assert {k[1] for k in keys if k[0] == "tool"} == tools
        texts = {
            (i, j)
            for i, item in enumerate(result.output)
            if isinstance(item, OutputMessage)
            for j in range(len(item.content))
        }
        assert {(k[1], k[2]) for k in keys if k[0] == "text"} == texts


@needs_recordings
def test_finished_without_done_events_come_with_the_terminal_event() -> None:
    events = [e for e in recording("dd-trace-py__resp-tool-call__1.sse") if not is_done_signal(e)]
    events.append(recording("dd-trace-py__resp-tool-call__1.sse")[-1])  # keep completed
    trace = finished_trace(events)
    assert trace and all(i == len(events) - 1 for i, _ in trace)
    tool = next(f for _, f in trace if isinstance(f, ToolCallDone))
    assert tool.kind == "function" and tool.parse_error is None
    assert tool.parsed == json.loads(tool.arguments) and tool.call_id


def test_tool_call_parse_error_is_recorded_not_raised() -> None:
    added = ev(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "sequence_number": 1,
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "c1",
                "name": "f",
                "arguments": "",
            },
        }
    )
    reducer = ResponseReducer()
    reducer.run(
        [
            created(0),
            added,
            ResponseFunctionCallArgumentsDeltaEvent(
                item_id="fc_1", output_index=0, delta='{"a": ', sequence_number=2
            ),
            ResponseFunctionCallArgumentsDoneEvent(
                item_id="fc_1", output_index=0, arguments='{"a": ', sequence_number=3
            ),
        ]
    )
    [done] = reducer.take_finished()
    assert isinstance(done, ToolCallDone)
    assert done.name == "f" and done.call_id == "c1" and done.arguments == '{"a": '
    assert done.parsed is None and done.parse_error
    assert reducer.take_finished() == []


def test_text_done_is_released_by_output_text_done() -> None:
    reducer = ResponseReducer()
    reducer.run([created(0), message_added(0, 1), text_delta(0, "a", 2), text_delta(0, "b", 3)])
    assert reducer.take_finished() == []
    reducer.step(
        ResponseTextDoneEvent(
            item_id="msg_1", output_index=0, content_index=0, text="ab", sequence_number=4
        )
    )
    assert reducer.take_finished() == [TextDone(text="ab", output_index=0, content_index=0)]
    part = {"type": "output_text", "text": "ab", "annotations": []}
    reducer.step(
        ResponseContentPartDoneEvent(
            item_id="msg_1",
            output_index=0,
            content_index=0,
            part=msgspec.convert(part, OutputText),
            sequence_number=5,
        )
    )
    assert reducer.take_finished() == []  # already reported


# --------------------------------------------------------------------------- #
# Checkpoints and the result cache
# --------------------------------------------------------------------------- #


@needs_recordings
@pytest.mark.parametrize("name", recording_params(NAMES))
def test_checkpoint_restore_midway(name: str) -> None:
    events = recording(name)
    expected, result = fold(events, verify=True)
    cut = len(events) // 2
    first = ResponseReducer(verify=True, sequence_policy="ignore")
    for event in events[:cut]:
        first.step(event)
    data = first.checkpoint()
    assert isinstance(data, bytes)
    second = ResponseReducer.restore(data, verify=True, sequence_policy="ignore")
    assert isinstance(second.state, ResponseReducer.State)
    restored = second.run(events[cut:])
    assert restored == result
    assert restored.verdict == result.verdict
    assert second.take_finished() == expected.take_finished()
    assert second.divergences == expected.divergences


SMALL = [n for n in NAMES if len(recording(n)) <= 130] if PATHS else []


@needs_recordings
@pytest.mark.parametrize("name", recording_params(SMALL))
def test_result_at_every_step_matches_a_cold_rebuild(name: str) -> None:
    """The per-item cache never serves a stale item."""
    reducer = ResponseReducer(sequence_policy="ignore")
    for event in recording(name):
        reducer.step(event)
        warm = reducer.result()
        assert reducer.result() is warm  # cached until the next step
        cold = ResponseReducer.restore(reducer.checkpoint(), sequence_policy="ignore")
        assert cold.result() == warm


def test_result_before_any_lifecycle_event() -> None:
    reducer = ResponseReducer()
    result = reducer.finish()
    assert result.id == "" and result.output == []
    assert result.verdict is not None and result.verdict.status == "truncated"


# --------------------------------------------------------------------------- #
# Speed: linear in the number of deltas
# --------------------------------------------------------------------------- #


def test_many_deltas_fold_in_linear_time() -> None:
    n = 100_000
    deltas = [text_delta(0, "word ", i + 2) for i in range(n)]
    args = [
        ResponseFunctionCallArgumentsDeltaEvent(
            item_id="fc", output_index=1, delta="[1,", sequence_number=n + 2 + i
        )
        for i in range(n)
    ]
    reducer = ResponseReducer()
    result = reducer.run([created(0), message_added(0, 1), *deltas, *args])
    assert len(result.output[0].content[0].text) == 5 * n
    assert len(result.output[1].arguments) == 3 * n
    # Reading the result joins the pieces once and compacts them.
    assert len(reducer.state.slots[0].parts[0].pieces) == 1
    assert reducer.result() is result
