"""Chat-compatible providers: every recorded stream decodes, and folds to what an
independent reference fold of its raw JSON gives; provider extensions, missing
optional fields and strict mode."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import recording_params, recording_paths
from hypothesis import given, settings
from hypothesis import strategies as st

import streamkit
from streamkit.errors import EventDecodeError
from streamkit.events import UnknownEvent
from streamkit.events.chat import CHAT_CHUNK_DECODER, ChatCompletionChunk
from streamkit.reducers import ChatCompletionReducer

ALL_FOLDERS = ("chat", "chat-compatible", "responses", "messages")
COMPATIBLE = recording_paths("chat-compatible")


def _payloads(body: bytes) -> list[bytes]:
    decoder = streamkit.sse.SSEDecoder()
    return [bytes(f.data) for f in decoder.feed(body) + decoder.close()]


@pytest.mark.parametrize(
    "path", recording_params([p for d in ALL_FOLDERS for p in recording_paths(d)])
)
def test_every_recording_decodes(path: Path) -> None:
    body = path.read_bytes()
    for size in (len(body), 97, 7):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        events = list(streamkit.iter_events(chunks, api="auto", errors="yield"))
        assert events
        assert not [e for e in events if isinstance(e, UnknownEvent)]


# --- the reference fold --------------------------------------------------------------


def _parts(content: Any) -> tuple[str, str]:
    if isinstance(content, str):
        return content, ""
    text, thinking = "", ""
    for part in content or []:
        if part.get("type") == "text":
            text += part["text"]
        elif part.get("type") == "thinking":
            thinking += "".join(p.get("text", "") for p in part["thinking"])
    return text, thinking


def reference_fold(body: bytes) -> dict[int, dict[str, Any]]:
    """Per choice: content, refusal, reasoning, tool calls and finish reason, read
    from the raw JSON with plain dicts; and the last usage seen (key -1)."""
    out: dict[int, dict[str, Any]] = {}
    usage: Any = None
    for data in _payloads(body):
        if data == b"[DONE]":
            continue
        obj = json.loads(data)
        usage = obj.get("usage") or (obj.get("x_groq") or {}).get("usage") or usage
        for choice in obj.get("choices") or []:
            c = out.setdefault(
                choice["index"],
                {"content": "", "refusal": "", "reasoning": "", "calls": [], "finish": None},
            )
            d = choice.get("delta") or {}
            text, thinking = _parts(d.get("content"))
            c["content"] += text
            c["refusal"] += d.get("refusal") or ""
            c["reasoning"] += thinking + (d.get("reasoning_content") or d.get("reasoning") or "")
            if not (d.get("reasoning_content") or d.get("reasoning")):
                c["reasoning"] += "".join(
                    x.get("text") or x.get("summary") or ""
                    for x in d.get("reasoning_details") or []
                )
            for call in d.get("tool_calls") or []:
                calls = c["calls"]
                if "index" in call:
                    i = call["index"]
                elif call.get("id") and call["id"] not in [k["id"] for k in calls]:
                    i = len(calls)
                else:
                    i = next((n for n, k in enumerate(calls) if k["id"] == call.get("id")), -1)
                while len(calls) <= i:
                    calls.append({"id": "", "name": "", "arguments": ""})
                fn = call.get("function") or {}
                k = calls[i]
                k["id"] = k["id"] or call.get("id") or ""
                k["name"] = k["name"] or fn.get("name") or ""
                k["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                c["finish"] = choice["finish_reason"]
    out[-1] = {"usage": usage}
    return out


def _reasoning(message: Any) -> str:
    pieces = [message.reasoning_content, message.reasoning]
    text = "".join(p for p in pieces if isinstance(p, str))
    if not text and message.reasoning_details:
        text = message.reasoning_text or ""
    return text


@pytest.mark.parametrize("path", recording_params(COMPATIBLE))
def test_compatible_stream_matches_reference_fold(path: Path) -> None:
    body = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", streamkit.reducers.StreamIntegrityWarning)
        completion = streamkit.reduce(body, api="chat")
    want = reference_fold(body)
    usage = want.pop(-1)["usage"]
    assert sorted(c.index for c in completion.choices) == sorted(want)
    for choice in completion.choices:
        w = want[choice.index]
        m = choice.message
        assert (m.content or "") == w["content"]
        assert (m.refusal or "") == w["refusal"]
        assert _reasoning(m) == w["reasoning"]
        calls = [
            {"id": t.id, "name": t.function.name, "arguments": t.function.arguments}
            for t in m.tool_calls or []
        ]
        assert calls == w["calls"]
        assert choice.finish_reason == w["finish"]
    if usage is None:
        assert completion.usage is msgspec.UNSET
    else:
        u = completion.usage
        assert u is not msgspec.UNSET
        counts = (u.prompt_tokens, u.completion_tokens, u.total_tokens)
        assert counts == (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"])
    # Providers that never send [DONE] get the README's verdict for a missing one.
    done = b"data: [DONE]" in body
    assert completion.verdict.status == ("completed" if done else "unterminated")


# --- framing and shapes providers use -----------------------------------------------

HEAD = b'"id":"c","object":"chat.completion.chunk","created":1,"model":"m"'


def _chunk(choices: str, extra: str = "") -> bytes:
    return b"{" + HEAD + b',"choices":' + choices.encode() + extra.encode() + b"}"


def test_crlf_no_space_no_done_and_finish_with_content() -> None:
    body = (
        b"data:" + _chunk('[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]') + b"\r\n\r\n"
        b"data:"
        + _chunk('[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}]')
        + b"\r\n\r\n"
    )
    completion = streamkit.reduce(body)
    assert completion.choices[0].message.content == "Hi!"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.verdict.status == "unterminated"


def test_tool_calls_without_index_and_with_repeated_ids() -> None:
    r = ChatCompletionReducer()
    for choices in (
        '[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function",'
        '"function":{"name":"f","arguments":"{}"}}]}}]',
        '[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function",'
        '"function":{"name":"g","arguments":"{\\"x\\":"}}]}}]',
        '[{"index":0,"delta":{"tool_calls":[{"id":"b","function":{"arguments":"1}"}}]}}]',
        '[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":""}}]}},'
        '{"index":0,"delta":{},"finish_reason":"tool_calls"}]',
    ):
        r.step(CHAT_CHUNK_DECODER.decode(_chunk(choices)))
    calls = r.finish().choices[0].message.tool_calls
    assert calls is not msgspec.UNSET
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [  # type: ignore[union-attr]
        ("a", "f", "{}"),
        ("b", "g", '{"x":1}'),
    ]
    assert r.integrity_issues == []


def test_usage_from_x_groq_and_timings_kept() -> None:
    usage = '{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"queue_time":0.01}'
    body = (
        b"data: "
        + _chunk(
            '[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]',
            ',"x_groq":{"id":"req_1","usage":'
            + usage
            + "}"
            + ',"timings":{"predicted_per_second":41.5},'
            + '"time_info":{"queue_time":0.002}',
        )
        + b"\n\ndata: [DONE]\n\n"
    )
    completion = streamkit.reduce(body)
    assert completion.usage.total_tokens == 5  # type: ignore[union-attr]
    assert completion.timings == {"predicted_per_second": 41.5}
    assert completion.time_info == {"queue_time": 0.002}
    assert completion.verdict.status == "completed"


def test_reasoning_fields_fold_into_the_message() -> None:
    r = ChatCompletionReducer()
    for delta in (
        '{"reasoning_content":"Let me "}',
        '{"reasoning_content":"think.","reasoning":"R"}',
        '{"reasoning_details":[{"type":"reasoning.text","text":"a","index":0}]}',
        '{"reasoning_details":[{"type":"reasoning.text","text":"b","index":0,"signature":"sig"}]}',
        '{"content":[{"type":"thinking","thinking":[{"type":"text","text":" more"}]},'
        '{"type":"text","text":"Answer"}]}',
    ):
        r.step(CHAT_CHUNK_DECODER.decode(_chunk(f'[{{"index":0,"delta":{delta}}}]')))
    m = r.finish().choices[0].message
    assert m.reasoning_content == "Let me think. more"
    assert m.reasoning == "R"
    assert m.content == "Answer"
    assert m.reasoning_details is not msgspec.UNSET and m.reasoning_details is not None
    assert [(d.text, d.signature) for d in m.reasoning_details] == [("ab", "sig")]
    assert m.reasoning_text == "Let me think. more"


def test_strict_mode_enforces_the_spec() -> None:
    body = b"data: " + _chunk('[{"index":0,"delta":{"content":"x"}}]') + b"\n\n"
    assert list(streamkit.iter_events(body, api="chat"))
    with pytest.raises(EventDecodeError, match="finish_reason"):
        list(streamkit.iter_events(body, api="chat", strict=True))
    ok = b"data: " + _chunk('[{"index":0,"delta":{"content":"x"},"finish_reason":null}]')
    assert list(streamkit.iter_events(ok + b"\n\n", api="chat", strict=True))


def test_auto_detects_chat_from_compatible_streams() -> None:
    for path in COMPATIBLE:
        decoder = streamkit.events.EventDecoder()
        frames = streamkit.sse.SSEDecoder().feed(path.read_bytes())
        # Azure's prompt-filter chunk first is not decisive; the next chunk is.
        for frame in frames[:2]:
            decoder.decode(frame)
            if decoder.api != "auto":
                break
        assert decoder.api == "chat", path.name


# --- optional fields may be missing ----------------------------------------------------

FULL = {
    "id": "c",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "m",
    "system_fingerprint": None,
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    "choices": [
        {
            "index": 0,
            "finish_reason": None,
            "logprobs": {
                "content": [
                    {
                        "token": "a",
                        "logprob": -1,
                        "bytes": [97],
                        "top_logprobs": [{"token": "a", "logprob": -1, "bytes": [97]}],
                    }
                ],
                "refusal": None,
            },
            "delta": {
                "role": "assistant",
                "content": "x",
                "reasoning_content": "r",
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "t",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            },
        }
    ],
}
REQUIRED = {
    ("id",),
    ("object",),
    ("created",),
    ("model",),
    ("choices", 0, "index"),
    ("choices", 0, "logprobs", "content", 0, "token"),
    ("choices", 0, "logprobs", "content", 0, "logprob"),
    ("choices", 0, "logprobs", "content", 0, "top_logprobs"),
    ("choices", 0, "logprobs", "content", 0, "top_logprobs", 0, "token"),
    ("choices", 0, "logprobs", "content", 0, "top_logprobs", 0, "logprob"),
    ("usage", "prompt_tokens"),
    ("usage", "completion_tokens"),
    ("usage", "total_tokens"),
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


OPTIONAL = [p for p in _paths(FULL) if p not in REQUIRED and not isinstance(p[-1], int)]


@settings(max_examples=80, deadline=None)
@given(st.sets(st.sampled_from(OPTIONAL)))
def test_chunks_without_optional_fields_still_decode(removed: set[tuple[Any, ...]]) -> None:
    obj = json.loads(json.dumps(FULL))
    for path in sorted(removed, key=len, reverse=True):
        parent = obj
        try:
            for key in path[:-1]:
                parent = parent[key]
            del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    chunk = CHAT_CHUNK_DECODER.decode(json.dumps(obj))
    assert isinstance(chunk, ChatCompletionChunk)
    reducer = ChatCompletionReducer(index_policy="ignore")  # a call may lose its name
    reducer.step(chunk)
    assert [c.index for c in reducer.finish().choices] == [0] * len(obj.get("choices", []))
