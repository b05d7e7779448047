"""Chat-compatible providers: every recorded stream decodes, keeps every field it
sent (bar a listed few), and folds to what an independent reference fold of its raw
JSON gives; provider extensions, missing optional fields and strict mode."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit.errors import EventDecodeError
from streamkit.events import UnknownEvent
from streamkit.events.chat import CHAT_CHUNK_DECODER, ChatCompletionChunk
from streamkit.events.completions import COMPLETION_CHUNK_DECODER
from streamkit.models.chat import CompletionUsage, CostDetails, SearchResult, UsageCost
from streamkit.reducers import ChatCompletionReducer, CompletionReducer

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


# Chunk-level provider fields folded into the final object: the last non-empty value.
TOP_LEVEL = ("provider", "citations", "search_results", "images", "related_questions")


def reference_fold(body: bytes) -> dict[int, dict[str, Any]]:
    """Per choice: content, refusal, reasoning, tool calls and finish reason, read
    from the raw JSON with plain dicts; the last usage seen and the last non-empty
    value of each chunk-level provider field (key -1)."""
    out: dict[int, dict[str, Any]] = {}
    usage: Any = None
    top: dict[str, Any] = {}
    for data in _payloads(body):
        if data == b"[DONE]":
            continue
        obj = json.loads(data)
        usage = obj.get("usage") or (obj.get("x_groq") or {}).get("usage") or usage
        for key in TOP_LEVEL:
            if obj.get(key) or (key in obj and not top.get(key)):
                top[key] = obj[key]
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
    out[-1] = {"usage": usage, "top": top}
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
    extras = want.pop(-1)
    usage = extras["usage"]
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
        # Every typed provider field of the usage is the server's value.
        kept = msgspec.to_builtins(u)
        assert {k: v for k, v in usage.items() if k in kept} == kept
    for key in TOP_LEVEL:
        value = getattr(completion, key)
        if key in extras["top"]:
            assert msgspec.to_builtins(value) == extras["top"][key], key
        else:
            assert value is msgspec.UNSET, key
    # A stream ends with [DONE] or, from Perplexity, a ``chat.completion.done``
    # chunk; a provider that sends neither gets the verdict for a missing end.
    done = b"data: [DONE]" in body or re.search(rb'"object": ?"chat\.completion\.done"', body)
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


# --- nothing a provider sends is dropped ---------------------------------------------

CHAT_FOLDERS = ("chat", "chat-compatible")

# Key paths the typed events do not keep (only lossless mode does), by provider: one
# server's own figures, sent on its usage chunk only.
NOT_TYPED = {
    "gpustack": {
        "usage.draft_tokens",
        "usage.draft_tokens_acceptance",
        "usage.prompt_tokens_per_second",
        "usage.time_per_output_token_ms",
        "usage.time_to_first_token_ms",
        "usage.tokens_per_second",
    },
    "mistral": {"usage.num_cached_tokens", "usage.service_tier"},
    "azure": {"latency_checkpoint"},
}


def provider_of(path: Path) -> str:
    """``prism__openrouter-text__1.sse`` -> ``openrouter``; ``chat-azure-text`` -> ``azure``."""
    scenario = path.name.split("__")[1].removeprefix("chat-")
    return scenario.split("-")[0]


def dropped(raw: Any, kept: Any, path: str = "") -> set[str]:
    """The key paths of ``raw`` (JSON) that ``kept`` (the event as builtins) lacks or
    holds a different value at (marked ``!``)."""
    out: set[str] = set()
    if isinstance(raw, dict) and isinstance(kept, dict):
        for key, value in raw.items():
            where = f"{path}.{key}" if path else key
            if key not in kept:
                out.add(where)
            else:
                out |= dropped(value, kept[key], where)
    elif isinstance(raw, list) and isinstance(kept, list) and len(raw) == len(kept):
        for a, b in zip(raw, kept, strict=True):
            out |= dropped(a, b, path + "[]")
    elif raw != kept or type(raw) is not type(kept):
        out.add(path + "!")
    return out


@pytest.mark.parametrize(
    "path", recording_params([p for d in CHAT_FOLDERS for p in recording_paths(d)])
)
def test_typed_chunks_keep_what_providers_send(path: Path) -> None:
    lost: set[str] = set()
    for frame, event in streamkit.io.iter_frame_events(path.read_bytes(), errors="yield"):
        if isinstance(event, ChatCompletionChunk):
            lost |= dropped(json.loads(bytes(frame.data)), msgspec.to_builtins(event))
    assert lost <= NOT_TYPED.get(provider_of(path), set())


def test_dropped_finds_a_missing_key() -> None:
    raw = {"a": 1, "b": [{"c": 2, "d": 3}], "e": {"f": None}, "g": 0}
    kept = {"a": 1, "b": [{"c": 2}], "e": {}, "g": 0.0}
    assert dropped(raw, kept) == {"b[].d", "e.f", "g!"}
    assert dropped(raw, raw) == set()


# --- provider fields: decoding and folding ---------------------------------------------

PERPLEXITY = [p for p in COMPATIBLE if provider_of(p) == "perplexity"]


@pytest.mark.parametrize("path", recording_params(PERPLEXITY))
def test_perplexity_message_snapshots_agree_with_the_fold(path: Path) -> None:
    """Perplexity sends the message so far on every chunk: an oracle for the fold of
    the deltas, chunk by chunk and at the end."""
    reducer = ChatCompletionReducer()
    snapshots = 0
    for event in streamkit.iter_events(path.read_bytes(), api="chat"):
        reducer.step(event)
        if not isinstance(event, ChatCompletionChunk):
            continue
        message = reducer.result().choices[0].message
        for choice in event.choices:
            if choice.message:
                snapshots += 1
                assert choice.message.content == message.content
                assert choice.message.role == message.role
    assert snapshots > 1
    final = reducer.finish()
    assert final.citations and final.search_results
    assert isinstance(final.usage, CompletionUsage)
    assert isinstance(final.usage.cost, UsageCost)
    assert isinstance(final.usage.search_context_size, str)


def _chat_body(*chunks: dict[str, Any], done: bool = True) -> bytes:
    head = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    frames = [b"data: " + json.dumps({**head, **c}).encode() + b"\n\n" for c in chunks]
    return b"".join(frames) + (b"data: [DONE]\n\n" if done else b"")


def _choice(content: str, finish: str | None = None) -> list[dict[str, Any]]:
    return [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]


def test_chunk_level_provider_fields_fold_last_non_empty() -> None:
    result = {"title": "T", "url": "https://a.example", "date": None, "source": "web"}
    image = {"image_url": "https://i.example/1.png", "width": 4, "height": 3}
    body = _chat_body(
        {"choices": _choice("a"), "provider": None, "citations": []},
        {"choices": _choice("b"), "provider": "Fireworks", "citations": ["https://a.example"]},
        {
            "choices": _choice("c"),
            "provider": "Groq",
            "citations": [],
            "search_results": [result],
            "images": [image],
            "related_questions": ["Why?"],
        },
        {"choices": _choice("", "stop"), "p": "abcdef"},
    )
    events = list(streamkit.iter_events(body, api="chat"))
    assert events[-2].p == "abcdef"  # type: ignore[union-attr]
    final = streamkit.reduce(body, api="chat")
    assert final.choices[0].message.content == "abc"
    assert final.provider == "Groq"
    assert final.citations == ["https://a.example"]
    assert final.search_results == [
        SearchResult(title="T", url="https://a.example", date=None, source="web")
    ]
    assert final.images is not msgspec.UNSET and final.images is not None
    assert [(i.image_url, i.width, i.height) for i in final.images] == [
        ("https://i.example/1.png", 4, 3)
    ]
    assert final.related_questions == ["Why?"]
    assert final.verdict.status == "completed"
    # Absent from every chunk: absent from the result, not an empty value.
    plain = streamkit.reduce(_chat_body({"choices": _choice("x", "stop")}), api="chat")
    assert all(getattr(plain, k) is msgspec.UNSET for k in TOP_LEVEL)


def test_empty_provider_fields_are_kept_until_a_chunk_sends_more() -> None:
    final = streamkit.reduce(
        _chat_body({"choices": _choice("x", "stop"), "citations": [], "provider": None}),
        api="chat",
    )
    assert final.citations == [] and final.provider is None


def test_result_lists_are_copies() -> None:
    reducer = ChatCompletionReducer()
    for event in streamkit.iter_events(
        _chat_body({"choices": _choice("x", "stop"), "citations": ["u"]}), api="chat"
    ):
        reducer.step(event)
    first = reducer.result()
    assert isinstance(first.citations, list)
    first.citations.append("changed")
    assert reducer.finish().citations == ["u"]


USAGES = {
    "openrouter": {
        "prompt_tokens": 3,
        "completion_tokens": 2,
        "total_tokens": 5,
        "cost": 0.0014925,
        "is_byok": False,
        "cost_details": {
            "upstream_inference_cost": None,
            "upstream_inference_prompt_cost": 0.0000625,
            "upstream_inference_completions_cost": 0.00143,
        },
        "prompt_tokens_details": {"cached_tokens": 0, "video_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 1, "image_tokens": 0},
    },
    "perplexity": {
        "prompt_tokens": 8,
        "completion_tokens": 5,
        "total_tokens": 13,
        "search_context_size": "low",
        "citation_tokens": 120,
        "num_search_queries": 1,
        "reasoning_tokens": 0,
        "cost": {
            "input_tokens_cost": 1e-05,
            "output_tokens_cost": 0,
            "request_cost": 0.005,
            "total_cost": 0.00501,
        },
    },
    "xai": {
        "prompt_tokens": 175,
        "completion_tokens": 8,
        "total_tokens": 183,
        "num_sources_used": 0,
        "cost_in_usd_ticks": 148500,
    },
}


@pytest.mark.parametrize("provider", sorted(USAGES))
def test_provider_usage_is_typed_and_folded(provider: str) -> None:
    usage = USAGES[provider]
    body = _chat_body({"choices": _choice("x", "stop")}, {"choices": [], "usage": usage}, done=True)
    final = streamkit.reduce(body, api="chat")
    assert msgspec.to_builtins(final.usage) == usage
    # The same usage on a legacy completion.
    head = {"id": "c", "object": "text_completion", "created": 1, "model": "m"}
    chunks = [
        {**head, "choices": [{"index": 0, "text": "x", "logprobs": None, "finish_reason": "stop"}]},
        {**head, "choices": [], "usage": usage},
    ]
    reducer = CompletionReducer()
    for c in chunks:
        reducer.step(COMPLETION_CHUNK_DECODER.decode(json.dumps(c)))
    assert msgspec.to_builtins(reducer.finish().usage) == usage


def test_usage_cost_shapes() -> None:
    openrouter = msgspec.convert(USAGES["openrouter"], CompletionUsage)
    assert openrouter.cost == 0.0014925 and openrouter.is_byok is False
    assert openrouter.cost_details == CostDetails(
        upstream_inference_cost=None,
        upstream_inference_prompt_cost=0.0000625,
        upstream_inference_completions_cost=0.00143,
    )
    perplexity = msgspec.convert(USAGES["perplexity"], CompletionUsage)
    assert isinstance(perplexity.cost, UsageCost) and perplexity.cost.total_cost == 0.00501
    # An integer cost stays an integer when re-encoded.
    free = msgspec.json.decode(
        b'{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0}'
    )
    assert b'"cost":0}' in msgspec.json.encode(msgspec.convert(free, CompletionUsage))


@pytest.mark.parametrize("path", recording_params(COMPATIBLE))
def test_checkpoint_keeps_provider_fields(path: Path) -> None:
    events = list(streamkit.iter_events(path.read_bytes(), api="chat", errors="yield"))
    half = len(events) // 2
    straight = ChatCompletionReducer(index_policy="ignore")
    for event in events:
        straight.step(event)
    first = ChatCompletionReducer(index_policy="ignore")
    for event in events[:half]:
        first.step(event)
    restored = ChatCompletionReducer.restore(first.checkpoint(), index_policy="ignore")
    assert isinstance(restored, ChatCompletionReducer)
    for event in events[half:]:
        restored.step(event)
    assert msgspec.json.encode(restored.finish()) == msgspec.json.encode(straight.finish())


# --- leniency on real chunks, and what strict mode still enforces -----------------------

from chat_spec import spec_object  # noqa: E402
from msgspec import inspect as mi  # noqa: E402

CHUNK_SCHEMA = "CreateChatCompletionStreamResponse"
CHUNK_INFO = mi.type_info(ChatCompletionChunk)


def _member(t: Any, value: Any) -> Any:
    """The Struct or list type a JSON value decodes as, among a field's types."""
    for m in t.types if isinstance(t, mi.UnionType) else (t,):
        if isinstance(value, dict) and isinstance(m, mi.StructType):
            return m
        if isinstance(value, list) and isinstance(m, mi.ListType):
            return m
    return None


def defaulted_keys(value: Any, t: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of the keys of a payload whose Struct field has a default, at any depth."""
    out: list[tuple[Any, ...]] = []
    if isinstance(t, mi.StructType) and isinstance(value, dict):
        fields = {f.encode_name: f for f in t.fields}
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                continue
            if not field.required:
                out.append((*path, key))
            sub = _member(field.type, item)
            if sub is not None:
                out += defaulted_keys(item, sub, (*path, key))
    elif isinstance(t, mi.ListType) and isinstance(value, list):
        for i, item in enumerate(value):
            sub = _member(t.item_type, item)
            if sub is not None:
                out += defaulted_keys(item, sub, (*path, i))
    return out


def spec_required(path: tuple[Any, ...]) -> bool:
    """Whether the OpenAI spec requires the key at ``path`` of a chunk (False for
    keys of provider extensions, which the spec does not describe)."""
    steps = ["[]" if isinstance(step, int) else step for step in path[:-1]]
    try:
        node = spec_object(CHUNK_SCHEMA, *steps)
    except (KeyError, TypeError):
        return False
    return path[-1] in node.get("required", ())


def remove(obj: Any, paths: set[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Delete ``paths`` from ``obj``, outermost first; the paths actually deleted
    (one inside a deleted object is gone already)."""
    done = []
    for path in sorted(paths, key=len):
        parent = obj
        try:
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        done.append(path)
    return done


def _strict_ok(payload: bytes) -> bool:
    try:
        list(streamkit.iter_events(b"data: " + payload + b"\n\n", api="chat", strict=True))
    except EventDecodeError:
        return False
    return True


def _clean_chunks() -> list[bytes]:
    """One real chunk per shape (its defaulted key paths): those strict mode accepts
    as recorded, so that a removal is what makes the difference."""
    seen: dict[frozenset[tuple[Any, ...]], bytes] = {}
    for path in (p for d in CHAT_FOLDERS for p in recording_paths(d)):
        for data in _payloads(path.read_bytes()):
            if not data.startswith(b"{") or b'"choices"' not in data:
                continue
            obj = json.loads(data)
            shape = frozenset(
                tuple(0 if isinstance(s, int) else s for s in p)
                for p in defaulted_keys(obj, CHUNK_INFO)
            )
            if shape not in seen and _strict_ok(data):
                seen[shape] = data
    return list(seen.values())


CLEAN_CHUNKS = _clean_chunks()


@pytest.mark.recordings
@pytest.mark.openapi
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_chunks_without_defaulted_keys(data: st.DataObject) -> None:
    """Any key with a default may be missing from a real chunk: it still decodes and
    folds; strict mode raises exactly when a key the spec requires went (but a chunk
    without ``choices`` decodes with none, documented as accepted)."""
    assert CLEAN_CHUNKS
    obj = json.loads(data.draw(st.sampled_from(CLEAN_CHUNKS)))
    keys = defaulted_keys(obj, CHUNK_INFO)
    gone = remove(obj, data.draw(st.sets(st.sampled_from(keys))) if keys else set())
    body = b"data: " + json.dumps(obj).encode() + b"\n\n"
    (chunk,) = streamkit.iter_events(body, api="chat")
    assert isinstance(chunk, ChatCompletionChunk)
    ChatCompletionReducer(index_policy="ignore").step(chunk)
    required = [p for p in gone if spec_required(p) and p != ("choices",)]
    if required:
        with pytest.raises(EventDecodeError, match="required by the spec"):
            list(streamkit.iter_events(body, api="chat", strict=True))
    else:
        assert list(streamkit.iter_events(body, api="chat", strict=True))


@pytest.mark.recordings
@pytest.mark.openapi
def test_each_spec_required_key_is_enforced_in_strict_mode() -> None:
    """Every defaulted key the spec requires, removed alone from every real chunk
    shape: lenient mode decodes, strict mode raises (``choices`` aside)."""
    checked = 0
    for payload in CLEAN_CHUNKS:
        for path in defaulted_keys(json.loads(payload), CHUNK_INFO):
            if not spec_required(path) or path == ("choices",):
                continue
            obj = json.loads(payload)
            assert remove(obj, {path}) == [path]
            body = b"data: " + json.dumps(obj).encode() + b"\n\n"
            assert list(streamkit.iter_events(body, api="chat"))
            with pytest.raises(EventDecodeError, match="required by the spec"):
                list(streamkit.iter_events(body, api="chat", strict=True))
            checked += 1
    assert checked


@pytest.mark.openapi
def test_spec_required_reads_the_spec() -> None:
    assert spec_required(("choices", 0, "finish_reason"))
    assert spec_required(("choices", 0, "logprobs", "content", 3, "bytes"))
    assert not spec_required(("choices", 0, "logprobs"))
    assert not spec_required(("provider",))
    assert not spec_required(("usage", "cost_details", "upstream_inference_cost"))
    assert defaulted_keys(FULL, CHUNK_INFO)[:2] == [("system_fingerprint",), ("usage",)]


TOKEN = {"token": "a", "logprob": -1, "bytes": [97], "top_logprobs": []}


@pytest.mark.parametrize(
    ("logprobs", "missing"),
    [
        ({"content": [TOKEN]}, "logprobs.refusal"),
        ({"refusal": None}, "logprobs.content"),
        (
            {
                "content": [
                    {**TOKEN, "bytes": None},
                    {"token": "b", "logprob": -2, "top_logprobs": []},
                ],
                "refusal": None,
            },
            r"logprobs.content\[1\].bytes",
        ),
        (
            {
                "content": [{**TOKEN, "top_logprobs": [{"token": "c", "logprob": -3}]}],
                "refusal": None,
            },
            r"content\[0\].top_logprobs\[0\].bytes",
        ),
    ],
)
def test_strict_mode_checks_logprobs(logprobs: dict[str, Any], missing: str) -> None:
    choice = {"index": 0, "delta": {"content": "a"}, "finish_reason": None, "logprobs": logprobs}
    body = _chat_body({"choices": [choice]}, done=False)
    assert list(streamkit.iter_events(body, api="chat"))
    with pytest.raises(EventDecodeError, match=missing):
        list(streamkit.iter_events(body, api="chat", strict=True))


@pytest.mark.parametrize("path", recording_params(PERPLEXITY))
def test_perplexity_done_chunk_ends_the_stream(path: Path) -> None:
    """Perplexity sends no [DONE]: its last chunk's ``object`` is
    ``chat.completion.done``, which ends the stream as ``[DONE]`` would; the
    same stream without that chunk is unterminated."""
    data = path.read_bytes()
    assert b"[DONE]" not in data
    assert streamkit.reduce(data, api="chat").verdict.status == "completed"
    frames = data.replace(b"\r\n", b"\n").split(b"\n\n")
    last = max(i for i, f in enumerate(frames) if b"chat.completion.done" in f)
    cut = b"\n\n".join(frames[:last]) + b"\n\n"
    assert streamkit.reduce(cut, api="chat").verdict.status in ("unterminated", "truncated")
