"""Chat Completions chunks and in-stream errors: spec coverage, real recordings, and
property-based round trips."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import recording_params, recording_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streamkit
from streamkit.events.chat import (
    CHAT_CHUNK_DECODER,
    ChatCompletionChunk,
    ChoiceDelta,
    ChoiceDeltaAudio,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChunkChoice,
)
from streamkit.events.errors import (
    ERROR_PAYLOAD_DECODER,
    ErrorDetail,
    ErrorPayload,
    StreamErrorEvent,
)
from streamkit.models.chat import ChoiceLogprobs, ContentFilterResults, PromptFilterResult

try:
    from streamkit.sse._decoder import SSEDecoder
except ImportError:  # the SSE layer is optional for these tests
    SSEDecoder = None  # type: ignore[assignment,misc]

CHAT_RECORDINGS = recording_paths("chat")

# --- spec coverage -------------------------------------------------------------------

from chat_spec import SCHEMAS, check_coverage, spec_object  # noqa: E402

CHUNK = "CreateChatCompletionStreamResponse"
DELTA = "ChatCompletionStreamResponseDelta"
TOOL_CALL_CHUNK = "ChatCompletionMessageToolCallChunk"

COVERAGE = [
    pytest.param(
        ChatCompletionChunk,
        (CHUNK,),
        # Azure, Groq, llama.cpp, Cerebras, OpenRouter, Perplexity and Mistral
        # extensions; system_fingerprint is null in recordings; a chunk without
        # choices has none.
        {
            "extra": {
                "prompt_filter_results",
                "x_groq",
                "timings",
                "time_info",
                "provider",
                "citations",
                "search_results",
                "images",
                "related_questions",
                "p",
            },
            "nullable": {"system_fingerprint"},
            "optional": {"choices"},
        },
        id="ChatCompletionChunk",
    ),
    pytest.param(
        ChunkChoice,
        (CHUNK, "choices", "[]"),
        # Azure, OpenRouter, vLLM and Perplexity extensions; Azure's filter-only
        # choice has no delta; xAI, Perplexity and Azure AI Foundry leave
        # finish_reason out.
        {
            "extra": {
                "content_filter_results",
                "content_filter_offsets",
                "native_finish_reason",
                "matched_stop",
                "message",
            },
            "optional": {"delta", "finish_reason"},
        },
        id="ChunkChoice",
    ),
    # Optional in the SDK.
    pytest.param(
        ChoiceLogprobs,
        (CHUNK, "choices", "[]", "logprobs"),
        {"optional": {"content", "refusal"}},
        id="ChoiceLogprobs",
    ),
    # audio: in the SDK's types, not in the OpenAPI description; the reasoning fields
    # are provider extensions; role, tool_calls and function_call null as in the SDK.
    pytest.param(
        ChoiceDelta,
        (DELTA,),
        {
            "extra": {"audio", "reasoning_content", "reasoning", "reasoning_details"},
            "nullable": {"role", "tool_calls", "function_call"},
        },
        id="ChoiceDelta",
    ),
    pytest.param(
        ChoiceDeltaFunctionCall,
        (DELTA, "function_call"),
        {"nullable": {"name", "arguments"}},
        id="ChoiceDeltaFunctionCall",
    ),
    # GPUStack sends whole calls without index; null parts as in the SDK.
    pytest.param(
        ChoiceDeltaToolCall,
        (TOOL_CALL_CHUNK,),
        {"optional": {"index"}, "nullable": {"id", "type", "function"}},
        id="ChoiceDeltaToolCall",
    ),
    pytest.param(
        ChoiceDeltaToolCallFunction,
        (TOOL_CALL_CHUNK, "function"),
        {"nullable": {"name", "arguments"}},
        id="ChoiceDeltaToolCallFunction",
    ),
    pytest.param(
        ErrorDetail,
        ("Error",),
        {"optional": {"type", "param", "code"}, "nullable": {"type"}},
        id="ErrorDetail",
    ),
    pytest.param(StreamErrorEvent, ("ErrorResponse",), {}, id="StreamErrorEvent"),
]


@pytest.mark.openapi
@pytest.mark.parametrize(("cls", "where", "relaxed"), COVERAGE)
def test_struct_matches_spec_schema(
    cls: type[msgspec.Struct], where: tuple[str, ...], relaxed: dict[str, set[str]]
) -> None:
    check_coverage(cls, spec_object(*where), **relaxed)


@pytest.mark.openapi
def test_coverage_check_can_fail() -> None:
    class Partial(msgspec.Struct):
        index: int
        id: str | None = None

    with pytest.raises(AssertionError, match="missing"):
        check_coverage(Partial, spec_object(TOOL_CALL_CHUNK))


# --- round-trip helpers ------------------------------------------------------------------


@functools.cache
def _wire_names(cls: type[msgspec.Struct]) -> tuple[dict[str, str], str | None]:
    """JSON key -> attribute name of ``cls``'s fields, and its tag field."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.encode_name: f.name for f in info.fields}, info.tag_field


def known_only(value: Any, original: Any, path: str = "$", dropped: set[str] | None = None) -> Any:
    """``original`` without the keys the decoded ``value`` does not declare.

    Walks the typed object and the raw JSON together; below ``Any`` or plain ``dict``
    fields the JSON is kept as is. Paths of removed keys go to ``dropped``.
    """
    if isinstance(value, msgspec.Struct):
        attrs, tag_field = _wire_names(type(value))
        out = {}
        for key, item in original.items():
            if key == tag_field:
                out[key] = item
            elif key in attrs:
                out[key] = known_only(getattr(value, attrs[key]), item, f"{path}.{key}", dropped)
            elif dropped is not None:
                dropped.add(f"{path}.{key}")
        return out
    if isinstance(value, list):
        return [
            known_only(v, o, f"{path}[]", dropped) for v, o in zip(value, original, strict=True)
        ]
    if isinstance(value, dict):
        return {k: known_only(value[k], o, f"{path}.{k}", dropped) for k, o in original.items()}
    return original


def assert_roundtrip(obj: msgspec.Struct, payload: bytes, dropped: set[str] | None = None) -> None:
    """Re-encoding ``obj`` gives back ``payload`` minus the keys its Structs ignore."""
    original = json.loads(payload)
    assert json.loads(msgspec.json.encode(obj)) == known_only(obj, original, "$", dropped)


def data_payloads(raw: bytes) -> list[bytes]:
    """The ``data`` of every SSE event in ``raw``."""
    if SSEDecoder is not None:
        decoder = SSEDecoder()
        return [bytes(frame.data) for frame in decoder.feed(raw) + decoder.close()]
    payloads = []  # fallback: blank-line separated blocks of "data:" lines
    for block in re.split(rb"\n\n", raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")):
        lines = [line[5:] for line in block.split(b"\n") if line.startswith(b"data:")]
        if lines:
            payloads.append(b"\n".join(x[1:] if x.startswith(b" ") else x for x in lines))
    return payloads


def decode_payload(payload: bytes) -> ChatCompletionChunk | StreamErrorEvent:
    raw = json.loads(payload)
    if "error" in raw and "choices" not in raw:
        return ERROR_PAYLOAD_DECODER.decode(payload)
    return CHAT_CHUNK_DECODER.decode(payload)


# --- spec example and real recordings --------------------------------------------------


@pytest.mark.openapi
def test_spec_example_chunks_roundtrip() -> None:
    example: str = SCHEMAS[CHUNK]["x-oaiMeta"]["example"]
    payloads = [p.strip() for p in example.split("\n\n") if p.strip().startswith("{")]
    assert len(payloads) == 3
    for payload in payloads:
        chunk = CHAT_CHUNK_DECODER.decode(payload)
        assert_roundtrip(chunk, payload.encode())
        assert chunk.object == "chat.completion.chunk"
        assert isinstance(chunk.obfuscation, str)
    assert chunk.choices[0].finish_reason == "stop"
    assert chunk.choices[0].delta == ChoiceDelta()


# Undeclared keys seen in recordings: not in the spec, kept out of the Structs on purpose.
IGNORED_RECORDED_KEYS = {"$.latency_checkpoint"}


@pytest.mark.recordings
@pytest.mark.parametrize("path", recording_params(CHAT_RECORDINGS))
def test_recording_roundtrips(path: Path) -> None:
    payloads = [p for p in data_payloads(path.read_bytes()) if p.strip() != b"[DONE]"]
    assert payloads
    dropped: set[str] = set()
    for payload in payloads:
        assert_roundtrip(decode_payload(payload), payload, dropped)
    assert dropped <= IGNORED_RECORDED_KEYS, f"keys lost in decoding: {dropped}"


@pytest.mark.recordings
def test_recordings_cover_the_deviations() -> None:
    """The recordings exercise what the relaxed fields are for (guards the fixtures)."""
    seen = {
        "empty_object": False,
        "no_delta": False,
        "null_fingerprint": False,
        "obfuscation": False,
        "usage_only": False,
        "prompt_filter": False,
    }
    for path in CHAT_RECORDINGS:
        for payload in data_payloads(path.read_bytes()):
            if payload.strip() == b"[DONE]":
                continue
            chunk = decode_payload(payload)
            assert isinstance(chunk, ChatCompletionChunk)
            seen["empty_object"] |= chunk.object == ""
            seen["no_delta"] |= any(c.delta is msgspec.UNSET for c in chunk.choices)
            seen["null_fingerprint"] |= chunk.system_fingerprint is None
            seen["obfuscation"] |= isinstance(chunk.obfuscation, str)
            seen["usage_only"] |= not chunk.choices and bool(chunk.usage)
            seen["prompt_filter"] |= isinstance(chunk.prompt_filter_results, list)
    assert all(seen.values()), seen


def test_roundtrip_check_catches_lost_fields() -> None:
    payload = b'{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}'

    class Lossy(msgspec.Struct):
        id: str
        created: int

    lossy = msgspec.json.decode(payload, type=Lossy)
    dropped: set[str] = set()
    assert_roundtrip(lossy, payload, dropped)
    assert dropped == {"$.object", "$.model", "$.choices"}


# --- Azure and other deviations, independent of the recordings ----------------------------

AZURE_PROMPT_FILTER = (
    b'{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":'
    b'[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},'
    b'"jailbreak":{"filtered":false,"detected":false},"self_harm":{"filtered":false,'
    b'"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":'
    b'{"filtered":false,"severity":"safe"}}}]}'
)
AZURE_FILTER_ONLY_CHOICE = (
    b'{"choices":[{"content_filter_results":{},"finish_reason":null,"index":0,"logprobs":null}],'
    b'"created":1752731406,"id":"chatcmpl-B","model":"gpt-4o-mini-2024-07-18",'
    b'"object":"chat.completion.chunk","system_fingerprint":"fp_efad92c60b"}'
)
AZURE_ASYNC_FILTER = (
    b'{"choices":[{"index":0,"finish_reason":null,"content_filter_results":{"protected_material_'
    b'text":{"filtered":false,"detected":false},"protected_material_code":{"filtered":false,'
    b'"detected":false}},"content_filter_offsets":{"check_offset":44,"start_offset":44,'
    b'"end_offset":198}}],"created":1,"id":"chatcmpl-C","model":"gpt-4o","object":'
    b'"chat.completion.chunk"}'
)
USAGE_ONLY = (
    b'{"id":"chatcmpl-D","object":"chat.completion.chunk","created":1,"model":"gpt-4o",'
    b'"service_tier":"default","system_fingerprint":null,"choices":[],"usage":{"prompt_tokens":'
    b'12,"completion_tokens":24,"total_tokens":36,"prompt_tokens_details":{"cached_tokens":0,'
    b'"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"obfuscation":"G4"}'
)
AUDIO_DELTAS = [
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-audio-preview",'
    b'"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":null,"audio":'
    b'{"id":"audio_1","transcript":"Hel"}},"finish_reason":null}]}',
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-audio-preview",'
    b'"choices":[{"index":0,"delta":{"audio":{"data":"UklGRg==","transcript":"lo"}},'
    b'"finish_reason":null}]}',
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-audio-preview",'
    b'"choices":[{"index":0,"delta":{"audio":{"expires_at":1729000000}},"finish_reason":"stop"}]}',
]
TOOL_CALL_DELTAS = [
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":'
    b'"function","function":{"name":"get_weather","arguments":""}}],"refusal":null},'
    b'"logprobs":null,"finish_reason":null}]}',
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]},'
    b'"logprobs":null,"finish_reason":null}]}',
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"function_call":{"name":"legacy","arguments":"{}"}},"finish_reason":"tool_calls"}]}',
]


@pytest.mark.parametrize(
    "payload",
    [
        AZURE_PROMPT_FILTER,
        AZURE_FILTER_ONLY_CHOICE,
        AZURE_ASYNC_FILTER,
        USAGE_ONLY,
        *AUDIO_DELTAS,
        *TOOL_CALL_DELTAS,
    ],
)
def test_deviating_chunks_roundtrip_exactly(payload: bytes) -> None:
    dropped: set[str] = set()
    assert_roundtrip(CHAT_CHUNK_DECODER.decode(payload), payload, dropped)
    assert dropped == set()


def test_azure_chunks_are_typed() -> None:
    prompt = CHAT_CHUNK_DECODER.decode(AZURE_PROMPT_FILTER)
    assert (prompt.id, prompt.object, prompt.model, prompt.created) == ("", "", "", 0)
    assert isinstance(prompt.prompt_filter_results, list)
    result = prompt.prompt_filter_results[0]
    assert isinstance(result, PromptFilterResult)
    jailbreak = result.content_filter_results.jailbreak
    assert not isinstance(jailbreak, msgspec.UnsetType)
    assert jailbreak.detected is False

    choice = CHAT_CHUNK_DECODER.decode(AZURE_FILTER_ONLY_CHOICE).choices[0]
    assert choice.delta is msgspec.UNSET
    assert choice.content_filter_results == ContentFilterResults()

    offsets = CHAT_CHUNK_DECODER.decode(AZURE_ASYNC_FILTER).choices[0].content_filter_offsets
    assert not isinstance(offsets, msgspec.UnsetType)
    assert (offsets.check_offset, offsets.start_offset, offsets.end_offset) == (44, 44, 198)


def test_tool_call_and_audio_fragments_are_typed() -> None:
    first = CHAT_CHUNK_DECODER.decode(TOOL_CALL_DELTAS[0]).choices[0].delta
    assert isinstance(first, ChoiceDelta)
    assert isinstance(first.tool_calls, list)
    call = first.tool_calls[0]
    assert (call.index, call.id, call.type) == (0, "call_1", "function")
    second = CHAT_CHUNK_DECODER.decode(TOOL_CALL_DELTAS[1]).choices[0].delta
    assert isinstance(second, ChoiceDelta) and isinstance(second.tool_calls, list)
    assert second.tool_calls[0].id is msgspec.UNSET
    assert second.tool_calls[0].function == ChoiceDeltaToolCallFunction(arguments='{"city":')

    last = CHAT_CHUNK_DECODER.decode(AUDIO_DELTAS[-1]).choices[0]
    assert isinstance(last.delta, ChoiceDelta)
    assert isinstance(last.delta.audio, ChoiceDeltaAudio)
    assert last.delta.audio.expires_at == 1729000000
    assert last.delta.audio.data is msgspec.UNSET


@pytest.mark.parametrize(
    "payload",
    [
        b'{"object":"chat.completion.chunk","created":1,"model":"m","choices":[]}',
        b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{}]}',
        b'{"id":"c","object":"chat.completion.chunk","created":"1","model":"m","choices":[]}',
    ],
)
def test_invalid_chunks_are_rejected(payload: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        CHAT_CHUNK_DECODER.decode(payload)


def test_decoder_is_prebuilt_for_chunks() -> None:
    assert isinstance(CHAT_CHUNK_DECODER, msgspec.json.Decoder)
    assert CHAT_CHUNK_DECODER.type is ChatCompletionChunk


# --- in-stream errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b'{"error":{"message":"The server had an error.","type":"server_error","param":null,'
        b'"code":null}}',
        b'{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"429"}}',
        b'{"error":{"message":"Bad gateway","code":502}}',
        b'{"error":{"message":"boom"}}',
    ],
)
def test_error_payload_roundtrips(payload: bytes) -> None:
    event = ERROR_PAYLOAD_DECODER.decode(payload)
    assert isinstance(event, StreamErrorEvent)
    assert isinstance(event.error, ErrorDetail)
    assert json.loads(msgspec.json.encode(event)) == json.loads(payload)
    assert decode_payload(payload) == event


def test_error_payload_types() -> None:
    event = ERROR_PAYLOAD_DECODER.decode(b'{"error":{"message":"Bad gateway","code":502}}')
    assert ErrorPayload is StreamErrorEvent
    assert event.error.code == 502
    assert event.error.type is msgspec.UNSET
    with pytest.raises(msgspec.ValidationError):
        ERROR_PAYLOAD_DECODER.decode(b'{"error":{"type":"server_error"}}')


# --- property-based round trip ------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)


def _field(f: msgspec.inspect.Field) -> st.SearchStrategy[Any]:
    # Type info leaves ``UnsetType`` out of unions; an optional field without a real
    # default is one that defaults to UNSET, so it may also be left out.
    value = from_type_info(f.type)
    if (
        f.required
        or f.default is not msgspec.NODEFAULT
        or f.default_factory is not msgspec.NODEFAULT
    ):
        return value
    return st.one_of(st.just(msgspec.UNSET), value)


def from_type_info(t: msgspec.inspect.Type) -> st.SearchStrategy[Any]:
    """A strategy for valid values of a msgspec type, built from its type info."""
    match t:
        case msgspec.inspect.StructType(cls=cls, fields=fields):
            return st.builds(cls, **{f.name: _field(f) for f in fields})
        case msgspec.inspect.UnionType(types=types):
            return st.one_of([from_type_info(m) for m in types])
        case msgspec.inspect.ListType(item_type=item):
            return st.lists(from_type_info(item), max_size=2)
        case msgspec.inspect.DictType(key_type=key, value_type=value):
            return st.dictionaries(from_type_info(key), from_type_info(value), max_size=2)
        case msgspec.inspect.StrType():
            return _TEXT
        case msgspec.inspect.IntType():
            return st.integers(-(2**53), 2**53)
        case msgspec.inspect.FloatType():
            return st.floats(allow_nan=False, allow_infinity=False)
        case msgspec.inspect.BoolType():
            return st.booleans()
        case msgspec.inspect.NoneType():
            return st.none()
        case msgspec.inspect.AnyType():
            return JSON_VALUES
    raise NotImplementedError(t)


JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _TEXT,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_TEXT, inner, max_size=2),
    max_leaves=4,
)


CHUNKS = from_type_info(msgspec.inspect.type_info(ChatCompletionChunk))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHUNKS)
def test_random_chunks_roundtrip(chunk: ChatCompletionChunk) -> None:
    assert CHAT_CHUNK_DECODER.decode(msgspec.json.encode(chunk)) == chunk


def test_chunk_without_choices_key() -> None:
    # Some compatible servers leave the key out of usage-only chunks.
    body = (
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n'
        b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n'
        b"data: [DONE]\n\n"
    )
    events = list(streamkit.iter_events(body))
    assert events[1].choices == []
    completion = streamkit.reduce(body)
    assert completion.choices[0].message.content == "hi"
    assert completion.usage.total_tokens == 2
