"""Final Chat Completions objects: spec coverage and JSON round trips."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

# --- spec coverage -------------------------------------------------------------------
from chat_spec import SCHEMAS, check_coverage, spec_object

from streamkit.models.chat import (
    ChatCompletion,
    ChatCompletionAnnotation,
    ChatCompletionAudio,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionModeration,
    ChatCompletionTokenLogprob,
    ChoiceLogprobs,
    CompletionTokensDetails,
    CompletionUsage,
    CustomCall,
    FunctionCall,
    ModerationError,
    ModerationResult,
    ModerationResults,
    PromptTokensDetails,
    TopLogprob,
    URLCitation,
)

RESPONSE = "CreateChatCompletionResponse"
MESSAGE = "ChatCompletionResponseMessage"

COVERAGE = [
    pytest.param(
        ChatCompletion,
        (RESPONSE,),
        # Azure; llama.cpp's and Cerebras' timing blocks; OpenRouter's provider;
        # Perplexity's sources.
        {
            "extra": {
                "prompt_filter_results",
                "timings",
                "time_info",
                "provider",
                "citations",
                "search_results",
                "images",
                "related_questions",
            },
            "nullable": {"system_fingerprint"},
        },
        id="ChatCompletion",
    ),
    pytest.param(
        ChatCompletionChoice,
        (RESPONSE, "choices", "[]"),
        {
            "extra": {"content_filter_results", "native_finish_reason"},
            "nullable": {"finish_reason"},
        },
        id="ChatCompletionChoice",
    ),
    # Optional in the SDK.
    pytest.param(
        ChoiceLogprobs,
        (RESPONSE, "choices", "[]", "logprobs"),
        {"optional": {"content", "refusal"}},
        id="ChoiceLogprobs",
    ),
    # Provider reasoning extensions.
    pytest.param(
        ChatCompletionMessage,
        (MESSAGE,),
        {"extra": {"reasoning_content", "reasoning", "reasoning_details"}},
        id="ChatCompletionMessage",
    ),
    pytest.param(FunctionCall, (MESSAGE, "function_call"), {}, id="FunctionCall(message)"),
    pytest.param(ChatCompletionAudio, (MESSAGE, "audio"), {}, id="ChatCompletionAudio"),
    pytest.param(
        ChatCompletionAnnotation, (MESSAGE, "annotations", "[]"), {}, id="ChatCompletionAnnotation"
    ),
    pytest.param(URLCitation, (MESSAGE, "annotations", "[]", "url_citation"), {}, id="URLCitation"),
    pytest.param(
        ChatCompletionMessageFunctionToolCall,
        ("ChatCompletionMessageToolCall",),
        {},
        id="FunctionToolCall",
    ),
    pytest.param(
        FunctionCall, ("ChatCompletionMessageToolCall", "function"), {}, id="FunctionCall(tool)"
    ),
    pytest.param(
        ChatCompletionMessageCustomToolCall,
        ("ChatCompletionMessageCustomToolCall",),
        {},
        id="CustomToolCall",
    ),
    pytest.param(
        CustomCall, ("ChatCompletionMessageCustomToolCall", "custom"), {}, id="CustomCall"
    ),
    pytest.param(
        ChatCompletionTokenLogprob,
        ("ChatCompletionTokenLogprob",),
        {"optional": {"bytes"}},  # optional in the SDK
        id="ChatCompletionTokenLogprob",
    ),
    pytest.param(
        TopLogprob,
        ("ChatCompletionTokenLogprob", "top_logprobs", "[]"),
        {"optional": {"bytes"}},
        id="TopLogprob",
    ),
    # DeepSeek's cache counts, OpenRouter's, xAI's and Perplexity's costs and
    # search counts; null details from compatible servers.
    pytest.param(
        CompletionUsage,
        ("CompletionUsage",),
        {
            "extra": {
                "prompt_cache_hit_tokens",
                "prompt_cache_miss_tokens",
                "cost",
                "cost_details",
                "is_byok",
                "cost_in_usd_ticks",
                "num_sources_used",
                "search_context_size",
                "citation_tokens",
                "num_search_queries",
                "reasoning_tokens",
            },
            "nullable": {"completion_tokens_details", "prompt_tokens_details"},
        },
        id="CompletionUsage",
    ),
    # OpenRouter's image and video counts.
    pytest.param(
        CompletionTokensDetails,
        ("CompletionUsage", "completion_tokens_details"),
        {"extra": {"image_tokens"}},
        id="CompletionTokensDetails",
    ),
    pytest.param(
        PromptTokensDetails,
        ("CompletionUsage", "prompt_tokens_details"),
        {"extra": {"video_tokens"}},
        id="PromptTokensDetails",
    ),
    pytest.param(
        ChatCompletionModeration, ("ChatCompletionModeration",), {}, id="ChatCompletionModeration"
    ),
    pytest.param(
        ModerationResults, ("ChatCompletionModerationResults",), {}, id="ModerationResults"
    ),
    pytest.param(ModerationError, ("ChatCompletionModerationError",), {}, id="ModerationError"),
    pytest.param(ModerationResult, ("ModerationResultBody",), {}, id="ModerationResult"),
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
        token: str
        logprob: float

    with pytest.raises(AssertionError, match="missing"):
        check_coverage(Partial, spec_object("ChatCompletionTokenLogprob"))


# --- decoding and round trips --------------------------------------------------------


def roundtrip(raw: bytes | str) -> tuple[ChatCompletion, Any]:
    """Decode ``raw``, re-encode it, and return the object and the re-encoded JSON."""
    completion = msgspec.json.decode(raw, type=ChatCompletion)
    return completion, json.loads(msgspec.json.encode(completion))


@pytest.mark.openapi
def test_spec_example_roundtrips() -> None:
    example = SCHEMAS[RESPONSE]["x-oaiMeta"]["example"]
    completion, again = roundtrip(example)
    assert again == json.loads(example)
    assert completion.choices[0].message.annotations == []
    assert completion.usage.prompt_tokens_details.cached_tokens == 0  # type: ignore[union-attr]


# Every field of the final object, written after the spec's schemas and example.
FULL = {
    "id": "chatcmpl-abc123",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "It is sunny in Paris [1].",
                "refusal": None,
                "annotations": [
                    {
                        "type": "url_citation",
                        "url_citation": {
                            "start_index": 21,
                            "end_index": 24,
                            "url": "https://example.com/weather",
                            "title": "Weather",
                        },
                    }
                ],
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "custom",
                        "custom": {"name": "shell", "input": "ls -la"},
                    },
                ],
                "function_call": {"name": "get_weather", "arguments": "{}"},
                "audio": {
                    "id": "audio_1",
                    "expires_at": 1741573883,
                    "data": "UklGRg==",
                    "transcript": "It is sunny in Paris.",
                },
            },
            "logprobs": {
                "content": [
                    {
                        "token": "It",
                        "logprob": -0.25,
                        "bytes": [73, 116],
                        "top_logprobs": [
                            {"token": "It", "logprob": -0.25, "bytes": [73, 116]},
                            {"token": "\u00e9", "logprob": -9999.0, "bytes": None},
                        ],
                    }
                ],
                "refusal": None,
            },
            "finish_reason": "tool_calls",
            "content_filter_results": {
                "hate": {"filtered": False, "severity": "safe"},
                "protected_material_text": {"filtered": False, "detected": False},
            },
        },
        {
            "index": 1,
            "message": {"role": "assistant", "content": None, "refusal": "I can't help."},
            "logprobs": None,
            "finish_reason": "stop",
        },
    ],
    "usage": {
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "total_tokens": 30,
        "prompt_tokens_details": {
            "audio_tokens": 0,
            "cached_tokens": 4,
            "text_tokens": 6,
            "image_tokens": 0,
            "cache_write_tokens": 0,
        },
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": 8,
            "rejected_prediction_tokens": 0,
            "text_tokens": 12,
        },
    },
    "system_fingerprint": "fp_fc9f1d7035",
    "service_tier": "default",
    "metadata": {"user": "42"},
    "moderation": {
        "input": {
            "type": "moderation_results",
            "model": "omni-moderation-latest",
            "results": [
                {
                    "type": "moderation_result",
                    "model": "omni-moderation-latest",
                    "flagged": False,
                    "categories": {"hate": False},
                    "category_scores": {"hate": 1.5e-06},
                    "category_applied_input_types": {"hate": ["text"]},
                }
            ],
        },
        "output": {"type": "error", "code": "moderation_failed", "message": "timeout"},
    },
    "prompt_filter_results": [
        {
            "prompt_index": 0,
            "content_filter_results": {"jailbreak": {"filtered": False, "detected": False}},
        }
    ],
}


def test_full_completion_roundtrips_exactly() -> None:
    completion, again = roundtrip(json.dumps(FULL))
    assert again == FULL
    first, second = completion.choices
    calls = first.message.tool_calls
    assert isinstance(calls, list)
    assert isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    assert calls[0].function.arguments == '{"city":"Paris"}'
    assert isinstance(calls[1], ChatCompletionMessageCustomToolCall)
    assert calls[1].custom.input == "ls -la"
    assert isinstance(completion.moderation, ChatCompletionModeration)
    assert isinstance(completion.moderation.input, ModerationResults)
    assert isinstance(completion.moderation.output, ModerationError)
    # Optional keys the server left out stay unset and are not re-encoded.
    assert second.message.tool_calls is msgspec.UNSET
    assert "tool_calls" not in again["choices"][1]["message"]


def test_reducer_target_accepts_unfinished_choice() -> None:
    data = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hel", "refusal": None},
                "logprobs": None,
                "finish_reason": None,
            }
        ],
    }
    completion, again = roundtrip(json.dumps(data))
    assert again == data
    assert completion.choices[0].finish_reason is None


@pytest.mark.openapi
def test_unknown_fields_are_ignored() -> None:
    data = json.loads(SCHEMAS[RESPONSE]["x-oaiMeta"]["example"])
    data["brand_new_field"] = {"x": 1}
    data["choices"][0]["message"]["vendor_note"] = "..."
    _, again = roundtrip(json.dumps(data))
    del data["brand_new_field"], data["choices"][0]["message"]["vendor_note"]
    assert again == data


@pytest.mark.parametrize(
    "path",
    [("choices", 0, "message"), ("choices", 0, "logprobs"), ("id",), ("usage", "total_tokens")],
)
def test_missing_required_field_is_rejected(path: tuple[str | int, ...]) -> None:
    data = json.loads(json.dumps(FULL))
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    with pytest.raises(msgspec.ValidationError, match="missing required field"):
        msgspec.json.decode(json.dumps(data), type=ChatCompletion)


def test_unknown_tool_call_type_is_rejected() -> None:
    data = json.loads(json.dumps(FULL))
    data["choices"][0]["message"]["tool_calls"][0]["type"] = "mystery"
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(json.dumps(data), type=ChatCompletion)


def test_construct_for_reducers() -> None:
    completion = ChatCompletion(
        id="chatcmpl-1",
        object="chat.completion",
        created=1,
        model="m",
        choices=[
            ChatCompletionChoice(
                index=0,
                message=ChatCompletionMessage(
                    role="assistant",
                    content=None,
                    refusal=None,
                    tool_calls=[
                        ChatCompletionMessageFunctionToolCall(
                            id="call_1", function=FunctionCall(name="f", arguments="{}")
                        )
                    ],
                ),
                finish_reason="tool_calls",
                logprobs=None,
            )
        ],
        usage=CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3),
    )
    encoded = json.loads(msgspec.json.encode(completion))
    assert encoded["choices"][0]["message"]["tool_calls"] == [
        {"type": "function", "id": "call_1", "function": {"name": "f", "arguments": "{}"}}
    ]
    assert "system_fingerprint" not in encoded
    assert msgspec.json.decode(msgspec.json.encode(completion), type=ChatCompletion) == completion
