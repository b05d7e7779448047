"""ChatCompletionReducer: recordings, hand-written streams, verdicts, integrity checks,
"just finished" events, checkpoints and property-based streams."""

from __future__ import annotations

import csv
import json
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import RECORDINGS, recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamkit.events._common import Done, UnknownEvent
from streamkit.events.chat import CHAT_CHUNK_DECODER, ChatCompletionChunk
from streamkit.events.errors import ERROR_PAYLOAD_DECODER, ErrorDetail, StreamErrorEvent
from streamkit.models import ServerError
from streamkit.models.chat import (
    ChatCompletion,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageFunctionToolCall,
)
from streamkit.reducers._finished import Finished, RefusalDone, TextDone, ToolCallDone
from streamkit.reducers._integrity import StreamIntegrityError, StreamIntegrityWarning
from streamkit.reducers.chat import ChatCompletionReducer, ChatStreamEvent
from streamkit.sse._decoder import SSEDecoder

CHAT = recording_paths("chat")

# --- loading ------------------------------------------------------------------------


def chat_events_of(data: bytes) -> list[ChatStreamEvent]:
    """Decode a recorded chat stream into events (local stand-in for the iterator)."""
    d = SSEDecoder()
    out: list[ChatStreamEvent] = []
    for f in d.feed(data) + d.close():
        raw = bytes(f.data)
        if raw == b"[DONE]":
            out.append(Done())
            break
        if raw.startswith(b'{"error"'):
            out.append(ERROR_PAYLOAD_DECODER.decode(raw))
        else:
            out.append(CHAT_CHUNK_DECODER.decode(raw))
    return out


def payloads_of(data: bytes) -> list[dict[str, Any]]:
    """The recording's JSON chunk payloads as plain dicts (for independent oracles)."""
    d = SSEDecoder()
    out = []
    for f in d.feed(data) + d.close():
        raw = bytes(f.data)
        if raw == b"[DONE]":
            break
        out.append(json.loads(raw))
    return out


def manifest_tags() -> dict[str, set[str]]:
    path = RECORDINGS / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return {row["file"]: set(row["scenario_tags"].split(",")) for row in rows}


TAGS = manifest_tags()


def tags_of(path: Path) -> set[str]:
    return TAGS.get(f"{path.parent.name}/{path.name}", set())


# --- building chunks ----------------------------------------------------------------------


def chunk(*choices: dict[str, Any], **fields: Any) -> ChatCompletionChunk:
    """A chunk from plain JSON-like values (validated like decoded bytes would be)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-test",
        "choices": list(choices),
    }
    body.update(fields)
    return msgspec.convert(body, ChatCompletionChunk)


def ch(index: int = 0, finish_reason: str | None = None, **delta: Any) -> dict[str, Any]:
    """One chunk choice with the given delta fields."""
    return {"index": index, "finish_reason": finish_reason, "delta": delta}


def tc(
    index: int,
    *,
    id: str | None = None,
    name: str | None = None,
    args: str | None = None,
    type: str | None = "function",
) -> dict[str, Any]:
    """One tool-call fragment."""
    out: dict[str, Any] = {"index": index}
    if id is not None:
        out["id"] = id
        if type is not None:
            out["type"] = type
    fn: dict[str, Any] = {}
    if name is not None:
        fn["name"] = name
    if args is not None:
        fn["arguments"] = args
    if fn:
        out["function"] = fn
    return out


USAGE = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}


def quiet() -> ChatCompletionReducer:
    return ChatCompletionReducer(index_policy="ignore")


def run(
    events: Iterable[ChatStreamEvent], **options: Any
) -> tuple[ChatCompletion, ChatCompletionReducer]:
    r = ChatCompletionReducer(**options)
    return r.run(events), r


def encoded(obj: Any) -> bytes:
    return msgspec.json.encode(obj)


# --- recordings --------------------------------------------------------------------------


def oracle(payloads: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """A deliberately naive accumulation of the raw JSON, choice by choice."""
    out: dict[int, dict[str, Any]] = {}
    for p in payloads:
        for c in p.get("choices") or []:
            acc = out.setdefault(
                c["index"],
                {"content": "", "refusal": "", "tools": {}, "function": None, "finish": None},
            )
            delta = c.get("delta") or {}
            acc["content"] += delta.get("content") or ""
            acc["refusal"] += delta.get("refusal") or ""
            for t in delta.get("tool_calls") or []:
                tool = acc["tools"].setdefault(t["index"], {"id": "", "name": "", "args": ""})
                tool["id"] = tool["id"] or t.get("id") or ""
                fn = t.get("function") or {}
                tool["name"] = tool["name"] or fn.get("name") or ""
                tool["args"] += fn.get("arguments") or ""
            if "function_call" in delta:
                acc["function"] = (acc["function"] or "") + (
                    delta["function_call"].get("arguments") or ""
                )
            if c.get("finish_reason"):
                acc["finish"] = c["finish_reason"]
    return out


def done_key(f: Finished) -> tuple[str, int | None, int | None]:
    if isinstance(f, TextDone):
        return ("text", f.choice_index, None)
    if isinstance(f, RefusalDone):
        return ("refusal", f.choice_index, None)
    if isinstance(f, ToolCallDone):
        return ("tool", f.choice_index, f.tool_index)
    raise AssertionError(f"unexpected {f!r}")


def expected_done(expected: dict[int, dict[str, Any]]) -> list[tuple[str, int, int | None]]:
    """The finished events the oracle predicts: finished choices only, in index order."""
    out: list[tuple[str, int, int | None]] = []
    for index in sorted(expected):
        want = expected[index]
        if not want["finish"]:
            continue
        if want["content"]:
            out.append(("text", index, None))
        if want["refusal"]:
            out.append(("refusal", index, None))
        out.extend(("tool", index, t) for t in sorted(want["tools"]))
        if want["function"] is not None:
            out.append(("tool", index, None))
    return out


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(CHAT))
def test_recording(path: Path) -> None:
    data = path.read_bytes()
    payloads = payloads_of(data)
    tags = tags_of(path)
    events = chat_events_of(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StreamIntegrityWarning)
        r = ChatCompletionReducer()
        for e in events:
            r.step(e)
        assert status(r.result()) == ("in_progress", None)
        done = r.take_finished()
        result = r.finish()

    assert r.integrity_issues == []
    assert result.object == "chat.completion"
    assert result.id.startswith("chatcmpl-")
    assert result.model and result.created > 0
    assert result.verdict is not None
    assert result.verdict.events == len(events)
    assert r.saw_done == ("no_DONE" not in tags)
    if not r.saw_done:
        # Every choice finished, but the end-of-stream marker never came.
        assert result.verdict.status == "unterminated"
        assert result.verdict.reason == "no [DONE] after finish_reason"
    elif "finish_length" in tags:
        assert result.verdict.status == "incomplete"
        assert result.verdict.reason == "length"
    else:
        assert result.verdict.status == "completed", result.verdict

    expected = oracle(payloads)
    assert [c.index for c in result.choices] == sorted(expected)
    for choice in result.choices:
        want = expected[choice.index]
        msg = choice.message
        assert (msg.content or "") == want["content"]
        assert (msg.refusal or "") == want["refusal"]
        assert choice.finish_reason == want["finish"]
        assert msg.role == "assistant"
        calls = msg.tool_calls or []
        assert len(calls) == len(want["tools"])
        for call, (_, tool) in zip(calls, sorted(want["tools"].items()), strict=True):
            assert isinstance(call, ChatCompletionMessageFunctionToolCall)
            assert (call.id, call.function.name, call.function.arguments) == (
                tool["id"],
                tool["name"],
                tool["args"],
            )

    # Usage: exactly the one a chunk carried.
    usages = [p["usage"] for p in payloads if p.get("usage")]
    if usages:
        assert msgspec.to_builtins(result.usage) == usages[-1]
    else:
        assert result.usage is msgspec.UNSET
    if "usage_chunk" in tags:
        assert usages and not payloads[-1]["choices"]

    # Scenario tags the recording promises.
    if "n=2" in tags:
        assert len(result.choices) == 2
    if "n=3" in tags:
        assert len(result.choices) == 3
    if "parallel_tool_calls" in tags:
        assert len(result.choices[0].message.tool_calls or []) >= 2
    if "refusal" in tags:
        assert result.choices[0].message.refusal
    if "logprobs" in tags:
        lp = result.choices[0].logprobs
        assert lp is not None and (lp.content or lp.refusal)
        n_tokens = sum(
            len((c.get("logprobs") or {}).get("content") or [])
            + len((c.get("logprobs") or {}).get("refusal") or [])
            for p in payloads
            for c in p["choices"]
        )
        assert len(lp.content or []) + len(lp.refusal or []) == n_tokens
    if "azure_content_filter" in tags:
        assert result.prompt_filter_results
        assert result.choices[0].content_filter_results is not msgspec.UNSET
    fps = [p["system_fingerprint"] for p in payloads if p.get("system_fingerprint")]
    if fps:
        assert result.system_fingerprint == fps[0]
    elif any("system_fingerprint" in p for p in payloads):
        assert result.system_fingerprint is None
    else:
        assert result.system_fingerprint is msgspec.UNSET

    # Finished events: every choice, every tool, after the finish reasons only.
    assert sorted(map(done_key, done), key=repr) == sorted(expected_done(expected), key=repr)
    for f in done:
        if isinstance(f, ToolCallDone):
            assert f.parse_error is None
            assert f.parsed == json.loads(f.arguments)
    assert r.take_finished() == []


@pytest.mark.recordings
def test_recording_result_readable_any_time() -> None:
    """result() mid-stream is a snapshot: later chunks do not change it."""
    path = next(p for p in CHAT if "logprobs" in tags_of(p)) if TAGS else CHAT[0]
    events = chat_events_of(path.read_bytes())
    r = quiet()
    snapshots = []
    for e in events:
        r.step(e)
        snapshots.append((encoded(r.result()), r.result()))
    for raw, obj in snapshots:
        assert encoded(obj) == raw
    # Each snapshot equals a fresh reduction of the prefix.
    for k in (1, len(events) // 2, len(events) - 1):
        fresh = quiet()
        for e in events[:k]:
            fresh.step(e)
        assert encoded(fresh.result()) == snapshots[k - 1][0]


# --- accumulation --------------------------------------------------------------------------


def test_text_role_once_content_concatenated() -> None:
    result, r = run(
        [
            chunk(ch(role="assistant", content="", refusal=None)),
            chunk(ch(content="Hel")),
            chunk(ch(content=None)),
            chunk(ch(role="assistant", content="lo")),
            chunk(ch(finish_reason="stop")),
            Done(),
        ]
    )
    msg = result.choices[0].message
    assert (msg.role, msg.content, msg.refusal) == ("assistant", "Hello", None)
    assert result.verdict is not None and result.verdict.status == "completed"
    assert r.saw_done and r.events == 6


def test_content_null_everywhere_stays_null() -> None:
    result, _ = run([chunk(ch(role="assistant", content=None)), chunk(ch(finish_reason="stop"))])
    assert result.choices[0].message.content is None


def test_empty_content_is_empty_string() -> None:
    result, _ = run([chunk(ch(role="assistant", content="")), chunk(ch(finish_reason="stop"))])
    assert result.choices[0].message.content == ""


def test_n_choices_interleaved_any_order() -> None:
    result, r = run(
        [
            chunk(ch(2, role="assistant", content="c")),
            chunk(ch(0, role="assistant", content="a")),
            chunk(ch(1, role="assistant", content="b"), ch(2, content="C")),
            chunk(ch(0, content="A"), ch(1, content="B")),
            chunk(ch(1, "stop"), ch(2, "length"), ch(0, "stop")),
            Done(),
        ]
    )
    assert [(c.index, c.message.content, c.finish_reason) for c in result.choices] == [
        (0, "aA", "stop"),
        (1, "bB", "stop"),
        (2, "cC", "length"),
    ]
    assert result.verdict is not None
    assert (result.verdict.status, result.verdict.reason) == ("incomplete", "length")
    assert r.integrity_issues == []


def test_parallel_tool_calls_and_ids_set_once() -> None:
    events = [
        chunk(ch(role="assistant", content=None)),
        chunk(ch(tool_calls=[tc(0, id="call_a", name="get", args="")])),
        chunk(ch(tool_calls=[tc(0, args='{"q":')])),
        chunk(ch(tool_calls=[tc(1, id="call_b", name="put", args='{"x"')])),
        # A repeated id / name on a later fragment is not concatenated.
        chunk(ch(tool_calls=[tc(0, id="call_a", name="get", args=' "s"}')])),
        chunk(ch(tool_calls=[tc(1, args=": 1}")])),
        chunk(ch(finish_reason="tool_calls")),
    ]
    result, r = run(events)
    calls = result.choices[0].message.tool_calls
    assert isinstance(calls, list)
    got = [
        (c.id, c.function.name, c.function.arguments)
        for c in calls
        if isinstance(c, ChatCompletionMessageFunctionToolCall)
    ]
    assert got == [("call_a", "get", '{"q": "s"}'), ("call_b", "put", '{"x": 1}')]
    assert result.choices[0].message.content is None
    assert r.integrity_issues == []
    assert msgspec.json.decode(encoded(result))["choices"][0]["message"]["tool_calls"][1] == {
        "type": "function",
        "id": "call_b",
        "function": {"name": "put", "arguments": '{"x": 1}'},
    }


def test_tool_calls_out_of_order_indices() -> None:
    result, r = run(
        [
            chunk(ch(role="assistant", tool_calls=[tc(1, id="call_b", name="g", args="{}")])),
            chunk(ch(tool_calls=[tc(0, id="call_a", name="f", args="[]")])),
            chunk(ch(finish_reason="tool_calls")),
        ]
    )
    calls = result.choices[0].message.tool_calls
    assert isinstance(calls, list)
    assert [c.id for c in calls] == ["call_a", "call_b"]
    assert r.integrity_issues == []


def test_custom_tool_type() -> None:
    result, _ = run(
        [
            chunk(ch(role="assistant", tool_calls=[tc(0, id="c", name="grep", type="custom")])),
            chunk(ch(tool_calls=[tc(0, args="raw text")])),
            chunk(ch(finish_reason="tool_calls")),
        ]
    )
    calls = result.choices[0].message.tool_calls
    assert isinstance(calls, list)
    assert isinstance(calls[0], ChatCompletionMessageCustomToolCall)
    assert (calls[0].id, calls[0].custom.name, calls[0].custom.input) == ("c", "grep", "raw text")


def test_legacy_function_call() -> None:
    result, r = run(
        [
            chunk(ch(role="assistant", function_call={"name": "lookup", "arguments": ""})),
            chunk(ch(function_call={"arguments": '{"a"'})),
            chunk(ch(function_call={"name": "lookup", "arguments": ": 2}"})),
            chunk(ch(finish_reason="function_call")),
            Done(),
        ]
    )
    fc = result.choices[0].message.function_call
    assert fc is not msgspec.UNSET
    assert (fc.name, fc.arguments) == ("lookup", '{"a": 2}')
    assert result.verdict is not None and result.verdict.status == "completed"
    [done] = r.take_finished()
    assert isinstance(done, ToolCallDone)
    assert (done.kind, done.name, done.parsed, done.tool_index) == (
        "function_call",
        "lookup",
        {"a": 2},
        None,
    )


def token(t: str, lp: float = -0.5) -> dict[str, Any]:
    return {"token": t, "logprob": lp, "bytes": list(t.encode()), "top_logprobs": []}


def test_logprobs_extended() -> None:
    result, _ = run(
        [
            chunk(
                {**ch(role="assistant", content=""), "logprobs": {"content": [], "refusal": None}}
            ),
            chunk({**ch(content="a"), "logprobs": {"content": [token("a")], "refusal": None}}),
            chunk({**ch(content="b"), "logprobs": None}),
            chunk(
                {
                    **ch(content="cd"),
                    "logprobs": {"content": [token("c"), token("d")], "refusal": None},
                }
            ),
            chunk({**ch(refusal="no"), "logprobs": {"content": None, "refusal": [token("no")]}}),
            chunk(ch(finish_reason="stop")),
        ]
    )
    lp = result.choices[0].logprobs
    assert lp is not None
    assert [t.token for t in lp.content or []] == ["a", "c", "d"]
    assert [t.token for t in lp.refusal or []] == ["no"]


def test_no_logprobs_is_none() -> None:
    result, _ = run([chunk({**ch(content="x", finish_reason="stop"), "logprobs": None})])
    assert result.choices[0].logprobs is None


def test_audio() -> None:
    result, _ = run(
        [
            chunk(ch(role="assistant", audio={"id": "audio_1", "data": "AAA", "transcript": "he"})),
            chunk(ch(audio={"id": "audio_1", "data": "BBB", "transcript": "llo"})),
            chunk(ch(audio={"data": None, "transcript": None})),
            chunk(ch(audio={"expires_at": 1700003600})),
            chunk(ch(audio={"expires_at": 1700003600})),
            chunk(ch(finish_reason="stop")),
        ]
    )
    audio = result.choices[0].message.audio
    assert audio is not None and audio is not msgspec.UNSET
    assert (audio.id, audio.data, audio.transcript, audio.expires_at) == (
        "audio_1",
        "AAABBB",
        "hello",
        1700003600,
    )


def test_usage_only_last_chunk_not_overwritten_not_summed() -> None:
    events = [
        chunk(ch(role="assistant", content="hi"), usage=None),
        chunk(ch(finish_reason="stop"), usage=None),
        chunk(usage=USAGE),
        chunk(usage=None),
        chunk(),
    ]
    result, _ = run(events)
    assert msgspec.to_builtins(result.usage) == USAGE


def test_usage_repeated_is_replaced_not_summed() -> None:
    later = {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}
    result, _ = run(
        [chunk(ch(content="a"), usage=USAGE), chunk(ch(finish_reason="stop"), usage=later)]
    )
    assert msgspec.to_builtins(result.usage) == later


def test_header_fields_from_first_chunk_that_has_them() -> None:
    result, _ = run(
        [
            # Azure's prompt-filter chunk: empty id/model, created 0, object "".
            chunk(
                id="",
                model="",
                created=0,
                object="",
                prompt_filter_results=[{"prompt_index": 0, "content_filter_results": {}}],
            ),
            chunk(
                ch(role="assistant"),
                id="chatcmpl-A",
                model="m1",
                created=5,
                system_fingerprint=None,
            ),
            chunk(
                ch(content="x"),
                id="chatcmpl-B",
                model="m2",
                created=6,
                system_fingerprint="fp_1",
                service_tier="default",
            ),
            chunk(
                ch(finish_reason="stop"),
                id="chatcmpl-C",
                system_fingerprint="fp_2",
                service_tier="flex",
            ),
            chunk(usage=USAGE, system_fingerprint=None),
        ]
    )
    assert (result.id, result.model, result.created) == ("chatcmpl-A", "m1", 5)
    assert (result.system_fingerprint, result.service_tier) == ("fp_1", "default")
    assert result.object == "chat.completion"
    assert result.prompt_filter_results is not msgspec.UNSET
    assert len(result.prompt_filter_results) == 1


def test_fingerprint_null_vs_absent() -> None:
    absent, _ = run([chunk(ch(content="x", finish_reason="stop"))])
    null, _ = run([chunk(ch(content="x", finish_reason="stop"), system_fingerprint=None)])
    assert absent.system_fingerprint is msgspec.UNSET
    assert null.system_fingerprint is None
    assert b"system_fingerprint" not in encoded(absent)


def test_azure_content_filters_kept_worst_wins() -> None:
    safe = {"filtered": False, "severity": "safe"}
    medium = {"filtered": False, "severity": "medium"}
    result, _ = run(
        [
            chunk({"index": 0, "finish_reason": None, "content_filter_results": {}}),
            chunk({**ch(content="a"), "content_filter_results": {"hate": safe, "sexual": safe}}),
            chunk({**ch(content="b"), "content_filter_results": {"hate": medium}}),
            chunk({**ch(content="c"), "content_filter_results": {"hate": safe, "violence": safe}}),
            chunk(
                {
                    **ch(finish_reason="stop"),
                    "content_filter_results": {},
                    "content_filter_offsets": {
                        "check_offset": 0,
                        "start_offset": 0,
                        "end_offset": 3,
                    },
                }
            ),
        ]
    )
    choice = result.choices[0]
    assert choice.message.role == "assistant"  # Azure never sent one here
    assert choice.message.content == "abc"
    assert msgspec.to_builtins(choice.content_filter_results) == {
        "hate": medium,
        "sexual": safe,
        "violence": safe,
    }


def test_moderation_kept() -> None:
    moderation = {
        "input": {"type": "error", "code": "x", "message": "boom"},
        "output": {"type": "moderation_results", "model": "omni", "results": []},
    }
    result, _ = run(
        [chunk(ch(content="a", finish_reason="stop")), chunk(moderation=moderation), chunk()]
    )
    assert msgspec.to_builtins(result.moderation) == moderation


# --- robustness -----------------------------------------------------------------------------


def test_robust_to_odd_chunks() -> None:
    weird_choices = ChatCompletionChunk(
        id="x",
        object="chat.completion.chunk",
        created=1,
        model="m",
        choices=None,  # type: ignore[arg-type]
    )
    result, r = run(
        [
            chunk(object=""),
            weird_choices,
            chunk(),
            chunk({"index": 0, "finish_reason": None}),  # no delta at all
            chunk(ch(content=None, refusal=None, tool_calls=[], role="")),
            UnknownEvent(type="ping", raw=b"{}"),
            chunk(ch(content="ok", finish_reason="stop")),
            Done(),
        ]
    )
    assert result.choices[0].message.content == "ok"
    assert result.choices[0].message.tool_calls is msgspec.UNSET
    assert result.verdict is not None and result.verdict.status == "completed"
    assert result.verdict.events == 8
    assert r.integrity_issues == []


def test_result_is_a_snapshot() -> None:
    r = quiet()
    r.step(
        chunk(
            {
                **ch(role="assistant", content="a"),
                "logprobs": {"content": [token("a")], "refusal": None},
            }
        )
    )
    r.step(chunk(ch(tool_calls=[tc(0, id="c", name="f", args="{")])))
    first = r.result()
    before = encoded(first)
    r.step(chunk({**ch(content="b"), "logprobs": {"content": [token("b")], "refusal": None}}))
    r.step(chunk(ch(tool_calls=[tc(0, args="}")], finish_reason="tool_calls")))
    assert encoded(first) == before
    assert first.verdict is not None and first.verdict.status == "in_progress"
    assert encoded(r.finish()) != before


# --- verdicts ----------------------------------------------------------------------------


def status(result: ChatCompletion) -> tuple[str, str | None]:
    assert result.verdict is not None
    return result.verdict.status, result.verdict.reason


@pytest.mark.parametrize(
    ("reasons", "want"),
    [
        (["stop"], ("completed", None)),
        (["tool_calls"], ("completed", None)),
        (["function_call"], ("completed", None)),
        (["some_new_reason"], ("completed", None)),
        (["length"], ("incomplete", "length")),
        (["content_filter"], ("incomplete", "content_filter")),
        (["stop", "content_filter"], ("incomplete", "content_filter")),
        (["stop", None], ("truncated", None)),
        (["length", None], ("truncated", None)),
        ([None], ("truncated", None)),
    ],
)
def test_verdict_rules(reasons: list[str | None], want: tuple[str, str | None]) -> None:
    events: list[ChatStreamEvent] = [
        chunk(ch(i, role="assistant", content="x")) for i in range(len(reasons))
    ]
    events += [chunk(ch(i, reason)) for i, reason in enumerate(reasons) if reason]
    result, _ = run([*events, Done()])
    assert status(result) == want
    # Without [DONE], a stream whose choices all finished is unterminated; one
    # with an unfinished choice stays truncated.
    result, _ = run(events)
    if want[0] == "truncated":
        assert status(result) == want
    else:
        assert status(result) == ("unterminated", "no [DONE] after finish_reason")


def test_verdict_without_done_is_unterminated() -> None:
    result, r = run([chunk(ch(content="x", finish_reason="stop")), chunk(usage=USAGE)])
    assert status(result) == ("unterminated", "no [DONE] after finish_reason")
    assert not r.saw_done and result.verdict is not None and not result.verdict.ok


def test_verdict_no_chunk_or_no_choice_is_truncated() -> None:
    assert status(run([])[0]) == ("truncated", None)
    assert status(run([Done()])[0]) == ("truncated", None)
    assert status(run([chunk(usage=USAGE), Done()])[0]) == ("truncated", None)


def test_verdict_errored() -> None:
    err = StreamErrorEvent(error=ErrorDetail(message="overloaded", type="server_error"))
    result, _ = run([chunk(ch(content="x")), err, Done()])
    assert result.verdict is not None
    assert result.verdict.status == "errored"
    assert result.verdict.error == ServerError(
        type="server_error",
        message="overloaded",
        raw={"error": {"message": "overloaded", "type": "server_error"}},
    )
    assert result.verdict.events == 3
    # An error after every choice finished still counts.
    result, _ = run([chunk(ch(content="x", finish_reason="stop")), err])
    assert status(result) == ("errored", None)


def test_verdict_in_progress_until_finish() -> None:
    r = quiet()
    r.step(chunk(ch(content="x", finish_reason="stop")))
    r.step(Done())
    assert status(r.result()) == ("in_progress", None)
    assert r.verdict().status == "in_progress"
    assert status(r.finish()) == ("completed", None)
    assert status(r.result()) == ("completed", None)


# --- integrity ---------------------------------------------------------------------------


BAD_STREAMS: dict[str, tuple[list[ChatCompletionChunk], str]] = {
    "negative choice": ([chunk(ch(-1, content="x"))], "choice index -1 is negative"),
    "choice jump": (
        [chunk(ch(0, content="x")), chunk(ch(5000, content="y"))],
        "choice index 5000 jumps from 0 to 5000",
    ),
    "negative tool": (
        [chunk(ch(tool_calls=[tc(-2, id="c", name="f")]))],
        "choice 0 tool call index -2 is negative",
    ),
    "tool without id": (
        [chunk(ch(tool_calls=[tc(0, name="f", args="{}")]))],
        "choice 0 tool call index 0 first seen without id",
    ),
    "tool fragment for unseen index": (
        [chunk(ch(tool_calls=[tc(0, id="a", name="f")])), chunk(ch(tool_calls=[tc(1, args="{}")]))],
        "choice 0 tool call index 1 first seen without id or name",
    ),
    "tool id changed": (
        [chunk(ch(tool_calls=[tc(0, id="a", name="f")])), chunk(ch(tool_calls=[tc(0, id="b")]))],
        "choice 0 tool call 0: id changed from 'a' to 'b'; kept the first",
    ),
    "tool name changed": (
        [chunk(ch(tool_calls=[tc(0, id="a", name="f")])), chunk(ch(tool_calls=[tc(0, name="g")]))],
        "choice 0 tool call 0: name changed from 'f' to 'g'; kept the first",
    ),
}


@pytest.mark.parametrize("case", list(BAD_STREAMS))
def test_integrity_policies(case: str) -> None:
    events, message = BAD_STREAMS[case]

    r = ChatCompletionReducer(index_policy="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r.run(events)
    assert r.integrity_issues == [message]

    r = ChatCompletionReducer()  # "warn" is the default
    with pytest.warns(StreamIntegrityWarning, match="tool|choice") as caught:
        r.run(events)
    assert [str(w.message) for w in caught] == [message]
    # The warning points at whoever stepped the reducer, not at the reducer itself.
    assert caught[0].filename.endswith("_base.py")  # feed() is the caller here

    r = ChatCompletionReducer(index_policy="raise")
    with pytest.raises(StreamIntegrityError) as info:
        r.run(events)
    assert info.value.message == message
    assert info.value.index == len(events) - 1
    assert r.integrity_issues == [message]


def test_integrity_ids_kept_and_data_kept() -> None:
    events, _ = BAD_STREAMS["tool id changed"]
    result, _ = run(
        [*events, chunk(ch(tool_calls=[tc(0, args="{}")], finish_reason="stop"))],
        index_policy="ignore",
    )
    calls = result.choices[0].message.tool_calls
    assert isinstance(calls, list) and calls[0].id == "a"
    events, _ = BAD_STREAMS["negative choice"]
    result, _ = run(events, index_policy="ignore")
    assert [c.index for c in result.choices] == [-1]


def test_integrity_non_int_index_dropped() -> None:
    bad = chunk(ch(0, content="x"))
    bad.choices[0].index = "1"  # type: ignore[assignment]  # bypasses validation
    bad_tool = chunk(ch(tool_calls=[tc(0, id="a", name="f")]))
    bad_tool.choices[0].delta.tool_calls[0].index = 1.5  # type: ignore[union-attr,index]
    result, r = run(
        [bad, bad_tool, chunk(ch(content="y", finish_reason="stop"))], index_policy="ignore"
    )
    assert [c.index for c in result.choices] == [0]
    assert result.choices[0].message.content == "y"
    assert result.choices[0].message.tool_calls is msgspec.UNSET
    assert r.integrity_issues == [
        "choice index is not an integer ('1'); choice dropped",
        "choice 0 tool call index is not an integer (1.5); fragment dropped",
    ]


def test_invalid_policy() -> None:
    with pytest.raises(ValueError, match="index_policy"):
        ChatCompletionReducer(index_policy="loud")  # type: ignore[arg-type]


# --- finished events ---------------------------------------------------------------------


def test_take_finished_per_choice_and_tool_at_finish_reason() -> None:
    r = quiet()
    r.step(chunk(ch(0, role="assistant", content="Hi"), ch(1, role="assistant")))
    r.step(chunk(ch(1, tool_calls=[tc(0, id="c0", name="f", args='{"a":1}')])))
    r.step(chunk(ch(1, tool_calls=[tc(1, id="c1", name="g", args="{bad")])))
    assert r.take_finished() == []  # a new tool index does not finish the previous one
    r.step(chunk(ch(0, finish_reason="stop")))
    assert r.take_finished() == [TextDone(text="Hi", choice_index=0)]
    assert r.take_finished() == []
    r.step(chunk(ch(2, role="assistant", refusal="No.")))
    r.step(chunk(ch(1, finish_reason="tool_calls"), ch(2, finish_reason="stop")))
    r.step(chunk(ch(1, finish_reason="tool_calls")))  # a repeated reason reports nothing
    got = r.take_finished()
    assert got[:2] == [
        ToolCallDone(
            name="f",
            arguments='{"a":1}',
            parsed={"a": 1},
            call_id="c0",
            choice_index=1,
            tool_index=0,
        ),
        ToolCallDone(
            name="g",
            arguments="{bad",
            parsed=None,
            parse_error=got[1].parse_error,  # type: ignore[union-attr]
            call_id="c1",
            choice_index=1,
            tool_index=1,
        ),
    ]
    assert isinstance(got[1], ToolCallDone) and got[1].parse_error
    assert got[2:] == [RefusalDone(refusal="No.", choice_index=2)]
    r.finish()
    assert r.take_finished() == []


def test_truncated_choice_not_reported() -> None:
    r = quiet()
    r.step(chunk(ch(0, content="done", finish_reason="stop"), ch(1, content="cut")))
    r.step(chunk(ch(1, tool_calls=[tc(0, id="c", name="f", args="{")])))
    result = r.finish()
    assert status(result) == ("truncated", None)
    assert r.take_finished() == [TextDone(text="done", choice_index=0)]


# --- checkpoints --------------------------------------------------------------------------


def outcome(r: ChatCompletionReducer, finished: list[Any]) -> tuple[Any, ...]:
    result = r.finish()
    finished = finished + r.take_finished()
    return (
        encoded(result),
        result.verdict,
        list(r.integrity_issues),
        r.saw_done,
        encoded(finished),
    )


def reduce_with_checkpoint(
    events: list[ChatStreamEvent], cut: int, take_at: int
) -> ChatCompletionReducer | tuple[Any, ...]:
    r = quiet()
    finished: list[Any] = []
    for i, e in enumerate(events[:cut]):
        r.step(e)
        if i == take_at:
            finished += r.take_finished()
    blob = r.checkpoint()
    restored = ChatCompletionReducer.restore(blob, index_policy="ignore")
    assert isinstance(restored, ChatCompletionReducer)
    assert restored.checkpoint() == blob
    for e in events[cut:]:
        restored.step(e)
    return outcome(restored, finished)


def straight(events: list[ChatStreamEvent]) -> tuple[Any, ...]:
    r = quiet()
    for e in events:
        r.step(e)
    return outcome(r, [])


RECORDED_EVENTS = [chat_events_of(p.read_bytes()) for p in CHAT]


@pytest.mark.recordings
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pick=st.integers(0, 10_000), cut=st.integers(0, 10_000), take=st.integers(-1, 10_000))
def test_checkpoint_recordings(pick: int, cut: int, take: int) -> None:
    events = RECORDED_EVENTS[pick % len(RECORDED_EVENTS)]
    cut %= len(events) + 1
    assert reduce_with_checkpoint(events, cut, take % (cut + 1) - 1) == straight(events)


# --- property-based streams ----------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=5)
NAME = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)


@st.composite
def token_logprobs(draw: st.DrawFn, piece: str) -> dict[str, Any]:
    return token(piece, draw(st.floats(-20, 0, allow_nan=False)))


@st.composite
def choice_script(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One choice's deltas in order (without ``index``): the shape real servers send."""
    kind = draw(st.sampled_from(["text", "refusal", "tools", "function_call", "audio"]))
    with_logprobs = kind in ("text", "refusal") and draw(st.booleans())
    first: dict[str, Any] = {"role": "assistant"}
    if draw(st.booleans()):
        first["content"] = draw(st.sampled_from(["", None]))
    if draw(st.booleans()):
        first["refusal"] = None
    out: list[dict[str, Any]] = [{"delta": first}]
    if with_logprobs:
        out[0]["logprobs"] = {"content": [], "refusal": None}
    if kind in ("text", "refusal"):
        for piece in draw(st.lists(TEXT, max_size=5)):
            entry: dict[str, Any] = {"delta": {("content" if kind == "text" else "refusal"): piece}}
            if with_logprobs:
                lp = [draw(token_logprobs(piece))]
                entry["logprobs"] = (
                    {"content": lp, "refusal": None}
                    if kind == "text"
                    else {"content": None, "refusal": lp}
                )
            out.append(entry)
    elif kind == "tools":
        for k in range(draw(st.integers(1, 3))):
            call_id = "call_" + draw(st.text(alphabet="ABCxyz019", min_size=4, max_size=8))
            out.append({"delta": {"tool_calls": [tc(k, id=call_id, name=draw(NAME), args="")]}})
            for piece in draw(st.lists(TEXT, max_size=4)):
                out.append({"delta": {"tool_calls": [tc(k, args=piece)]}})
    elif kind == "function_call":
        out.append({"delta": {"function_call": {"name": draw(NAME), "arguments": ""}}})
        for piece in draw(st.lists(TEXT, max_size=4)):
            out.append({"delta": {"function_call": {"arguments": piece}}})
    else:
        out.append(
            {
                "delta": {
                    "audio": {
                        "id": "audio_" + draw(NAME),
                        "data": draw(TEXT),
                        "transcript": draw(TEXT),
                    }
                }
            }
        )
        for _ in range(draw(st.integers(0, 3))):
            out.append({"delta": {"audio": {"data": draw(TEXT), "transcript": draw(TEXT)}}})
        out.append({"delta": {"audio": {"expires_at": draw(st.integers(1, 2**40))}}})
    reason = draw(
        st.sampled_from(["stop", "length", "tool_calls", "content_filter", "function_call", None])
    )
    if reason is not None:
        out.append({"delta": {}, "finish_reason": reason})
    return out


@st.composite
def chat_streams(
    draw: st.DrawFn, *, in_order: bool = False, azure: bool = True, truncate: bool = True
) -> list[dict[str, Any]]:
    """Chunk payloads (plain dicts) for a random n-choice stream, choices interleaved.

    ``in_order``: choices first appear in index order (the SDK needs that); otherwise
    any order. ``azure``: may start with Azure's prompt-filter chunk. ``truncate``: may
    be cut anywhere.
    """
    scripts = draw(st.lists(choice_script(), min_size=1, max_size=3))
    tickets = [i for i, s in enumerate(scripts) for _ in s]
    order = draw(st.permutations(tickets))
    if in_order:
        first_seen = list(dict.fromkeys(order))
        labels = [first_seen.index(i) for i in range(len(scripts))]
    else:
        labels = draw(st.permutations(range(len(scripts))))
    base: dict[str, Any] = {
        "id": "chatcmpl-x",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-x",
    }
    if draw(st.booleans()):
        base["system_fingerprint"] = draw(st.sampled_from(["fp_1", None]))
    if draw(st.booleans()):
        base["service_tier"] = "default"
    include_usage = draw(st.booleans())
    if include_usage:
        base["usage"] = None
    cursors = [0] * len(scripts)
    chunks: list[dict[str, Any]] = []
    for i in order:
        entry = {"index": labels[i], "finish_reason": None, **scripts[i][cursors[i]]}
        cursors[i] += 1
        chunks.append({**base, "choices": [entry]})
    if include_usage:
        chunks.append({**base, "choices": [], "usage": USAGE})
    if azure and draw(st.booleans()):
        filters = [{"prompt_index": 0, "content_filter_results": {}}]
        chunks.insert(
            0,
            {
                "id": "",
                "object": "",
                "created": 0,
                "model": "",
                "choices": [],
                "prompt_filter_results": filters,
            },
        )
    if truncate and draw(st.booleans()):
        del chunks[draw(st.integers(0, len(chunks))) :]
    return chunks


def to_events(payloads: list[dict[str, Any]], *, done: bool = True) -> list[ChatStreamEvent]:
    events: list[ChatStreamEvent] = [msgspec.convert(p, ChatCompletionChunk) for p in payloads]
    if done:
        events.append(Done())
    return events


@settings(max_examples=150, deadline=None)
@given(payloads=chat_streams(), data=st.data())
def test_checkpoint_generated(payloads: list[dict[str, Any]], data: st.DataObject) -> None:
    events = to_events(payloads, done=data.draw(st.booleans()))
    cut = data.draw(st.integers(0, len(events)))
    take = data.draw(st.integers(-1, cut))
    assert reduce_with_checkpoint(events, cut, take - 1) == straight(events)


@settings(max_examples=150, deadline=None)
@given(payloads=chat_streams())
def test_generated_matches_oracle(payloads: list[dict[str, Any]]) -> None:
    result, r = run(to_events(payloads), index_policy="raise")
    expected = oracle(payloads)
    assert [c.index for c in result.choices] == sorted(expected)
    for choice in result.choices:
        want = expected[choice.index]
        assert (choice.message.content or "") == want["content"]
        assert (choice.message.refusal or "") == want["refusal"]
        assert choice.finish_reason == want["finish"]
        got_tools = [
            (c.id, c.function.name, c.function.arguments)
            for c in choice.message.tool_calls or []
            if isinstance(c, ChatCompletionMessageFunctionToolCall)
        ]
        assert got_tools == [
            (t["id"], t["name"], t["args"]) for _, t in sorted(want["tools"].items())
        ]
    reasons = [w["finish"] for _, w in sorted(expected.items())]
    assert result.verdict is not None
    if not reasons or None in reasons:
        assert result.verdict.status == "truncated"
    elif {"length", "content_filter"} & set(reasons):
        assert result.verdict.status == "incomplete"
    else:
        assert result.verdict.status == "completed"
    done = [done_key(f) for f in r.take_finished()]
    assert sorted(done, key=repr) == sorted(expected_done(expected), key=repr)
    # Grouped by choice, in the order the finish reasons arrived.
    finish_order = list(
        dict.fromkeys(c["index"] for p in payloads for c in p["choices"] if c.get("finish_reason"))
    )
    assert list(dict.fromkeys(k[1] for k in done)) == [
        i for i in finish_order if any(k[1] == i for k in done)
    ]


# --- cost -------------------------------------------------------------------------------


def test_pieces_not_joined_while_stepping() -> None:
    """Growing strings are lists of pieces; a step never copies what came before."""
    r = quiet()
    piece = chunk(ch(content="x" * 50, tool_calls=[tc(0, args="y" * 50)]))
    r.step(chunk(ch(role="assistant", tool_calls=[tc(0, id="c", name="f")])))

    def timed(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            r.step(piece)
        return time.perf_counter() - start

    timed(2_000)
    early = min(timed(5_000) for _ in range(3))
    timed(100_000)  # about 6 MB accumulated
    late = min(timed(5_000) for _ in range(3))
    assert late < early * 4 + 0.01, (early, late)
    steps = 2_000 + 3 * 5_000 + 100_000 + 3 * 5_000
    c = r.state.choices[0]
    assert c.content is not None and len(c.content) == steps
    assert len(c.tools[0].arguments) == steps
    assert len(r.result().choices[0].message.content or "") == 50 * steps
