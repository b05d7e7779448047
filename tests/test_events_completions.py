"""Legacy Completions: final object and stream chunks, spec coverage and round trips."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

# --- spec coverage -------------------------------------------------------------------
from chat_spec import SCHEMAS, check_coverage, spec_object
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.events.completions import (
    COMPLETION_CHUNK_DECODER,
    CompletionChunk,
    CompletionChunkChoice,
)
from streamkit.models.chat import CompletionTokensDetails, CompletionUsage, PromptTokensDetails
from streamkit.models.completions import Completion, CompletionChoice, CompletionLogprobs

RESPONSE = "CreateCompletionResponse"

COVERAGE = [
    pytest.param(Completion, (RESPONSE,), {"nullable": {"system_fingerprint"}}, id="Completion"),
    pytest.param(
        CompletionChoice,
        (RESPONSE, "choices", "[]"),
        {"nullable": {"finish_reason"}},
        id="CompletionChoice",
    ),
    pytest.param(
        CompletionLogprobs, (RESPONSE, "choices", "[]", "logprobs"), {}, id="CompletionLogprobs"
    ),
    # Stream chunks share the final object's schema (see its description).
    pytest.param(
        CompletionChunk,
        (RESPONSE,),
        # A chunk without choices has none.
        {"nullable": {"system_fingerprint", "usage"}, "optional": {"choices"}},
        id="CompletionChunk",
    ),
    pytest.param(
        CompletionChunkChoice,
        (RESPONSE, "choices", "[]"),
        {"nullable": {"finish_reason"}},
        id="CompletionChunkChoice",
    ),
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
        text: str
        finish_reason: str

    with pytest.raises(AssertionError, match="missing"):
        check_coverage(Partial, spec_object(RESPONSE, "choices", "[]"))


# --- final object -------------------------------------------------------------------


@pytest.mark.openapi
def test_spec_example_completion_roundtrips() -> None:
    example = SCHEMAS[RESPONSE]["x-oaiMeta"]["example"]
    completion = msgspec.json.decode(example, type=Completion)
    assert json.loads(msgspec.json.encode(completion)) == json.loads(example)
    assert completion.choices[0].text == "\n\nThis is indeed a test"
    assert completion.choices[0].finish_reason == "length"
    assert completion.system_fingerprint is msgspec.UNSET


FULL_COMPLETION = {
    "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
    "object": "text_completion",
    "created": 1589478378,
    "model": "gpt-3.5-turbo-instruct",
    "system_fingerprint": "fp_44709d6fcb",
    "choices": [
        {
            "text": "This is",
            "index": 0,
            "logprobs": {
                "tokens": ["This", " is"],
                "token_logprobs": [-0.5, -0.01],
                "top_logprobs": [{"This": -0.5, "That": -1.25}, {" is": -0.01}],
                "text_offset": [0, 4],
            },
            "finish_reason": "length",
        },
        {"text": "", "index": 1, "logprobs": None, "finish_reason": "content_filter"},
    ],
    "usage": {
        "prompt_tokens": 5,
        "completion_tokens": 7,
        "total_tokens": 12,
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}


def test_full_completion_roundtrips_exactly() -> None:
    completion = msgspec.json.decode(json.dumps(FULL_COMPLETION), type=Completion)
    assert json.loads(msgspec.json.encode(completion)) == FULL_COMPLETION
    logprobs = completion.choices[0].logprobs
    assert isinstance(logprobs, CompletionLogprobs)
    assert logprobs.top_logprobs == [{"This": -0.5, "That": -1.25}, {" is": -0.01}]


def test_missing_text_is_rejected() -> None:
    data = json.loads(json.dumps(FULL_COMPLETION))
    del data["choices"][0]["text"]
    with pytest.raises(msgspec.ValidationError, match="missing required field `text`"):
        msgspec.json.decode(json.dumps(data), type=Completion)


# --- stream chunks ---------------------------------------------------------------------

# A legacy stream with n=2, logprobs and include_usage, shaped after the spec's
# streaming example (which is not valid JSON itself: a comma is misplaced).


def _chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> dict[str, Any]:
    return {
        "id": "cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe",
        "object": "text_completion",
        "created": 1690759702,
        "choices": choices,
        "model": "gpt-3.5-turbo-instruct",
        "system_fingerprint": "fp_44709d6fcb",
        "usage": usage,
    }


def _choice(index: int, text: str, logprob: float, offset: int, finish: str | None) -> Any:
    logprobs = {
        "tokens": [text],
        "token_logprobs": [logprob],
        "top_logprobs": [{text: logprob}],
        "text_offset": [offset],
    }
    return {"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}


STREAM = (
    b"".join(
        b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"
        for chunk in [
            _chunk([_choice(0, "This", -0.5, 0, None)]),
            _chunk([_choice(1, "That", -1.25, 0, None)]),
            _chunk([_choice(0, " is", -0.01, 4, "length")]),
            _chunk([_choice(1, " was", -0.2, 4, "stop")]),
            _chunk([], {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}),
        ]
    )
    + b"data: [DONE]\n\n"
)


def _payloads() -> list[bytes]:
    lines = [line.removeprefix(b"data: ") for line in STREAM.split(b"\n") if line]
    return [line for line in lines if line != b"[DONE]"]


@pytest.mark.parametrize("payload", _payloads())
def test_stream_chunks_roundtrip_exactly(payload: bytes) -> None:
    chunk = COMPLETION_CHUNK_DECODER.decode(payload)
    assert isinstance(chunk, CompletionChunk)
    assert json.loads(msgspec.json.encode(chunk)) == json.loads(payload)


def test_stream_chunks_fold_per_index() -> None:
    texts: dict[int, str] = {}
    reasons: dict[int, str | None] = {}
    usage: CompletionUsage | None = None
    for payload in _payloads():
        chunk = COMPLETION_CHUNK_DECODER.decode(payload)
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + choice.text
            reasons[choice.index] = choice.finish_reason
        if isinstance(chunk.usage, CompletionUsage):
            usage = chunk.usage
    assert texts == {0: "This is", 1: "That was"}
    assert reasons == {0: "length", 1: "stop"}
    assert usage is not None and usage.total_tokens == 9


def test_final_object_accepts_an_unfinished_choice() -> None:
    first = json.loads(_payloads()[0])
    del first["usage"]  # the final object's usage is not nullable
    completion = msgspec.json.decode(json.dumps(first), type=Completion)
    assert completion.choices[0].finish_reason is None


def test_decoder_is_prebuilt_for_chunks() -> None:
    assert isinstance(COMPLETION_CHUNK_DECODER, msgspec.json.Decoder)
    assert COMPLETION_CHUNK_DECODER.type is CompletionChunk


# --- property-based round trip ------------------------------------------------------------


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An optional field: left out (UNSET) or set."""
    return st.one_of(st.just(msgspec.UNSET), strategy)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=8)
_INT = st.integers(0, 2**53)
_FLOAT = st.floats(allow_nan=False, allow_infinity=False)


def _all_optional_ints(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    return st.builds(cls, **{name: _maybe(_INT) for name in cls.__struct_fields__})


USAGE = st.builds(
    CompletionUsage,
    prompt_tokens=_INT,
    completion_tokens=_INT,
    total_tokens=_INT,
    completion_tokens_details=_maybe(_all_optional_ints(CompletionTokensDetails)),
    prompt_tokens_details=_maybe(_all_optional_ints(PromptTokensDetails)),
)
LOGPROBS = st.builds(
    CompletionLogprobs,
    text_offset=_maybe(st.lists(_INT, max_size=3)),
    token_logprobs=_maybe(st.lists(_FLOAT, max_size=3)),
    tokens=_maybe(st.lists(_TEXT, max_size=3)),
    top_logprobs=_maybe(st.lists(st.dictionaries(_TEXT, _FLOAT, max_size=2), max_size=3)),
)
CHOICE = st.builds(
    CompletionChunkChoice,
    index=st.integers(0, 8),
    text=_TEXT,
    logprobs=st.none() | LOGPROBS,
    finish_reason=st.none() | st.sampled_from(["stop", "length", "content_filter"]) | _TEXT,
)
CHUNKS = st.builds(
    CompletionChunk,
    id=_TEXT,
    object=st.just("text_completion") | _TEXT,
    created=_INT,
    model=_TEXT,
    choices=st.lists(CHOICE, max_size=3),
    system_fingerprint=_maybe(st.none() | _TEXT),
    usage=_maybe(st.none() | USAGE),
)


@settings(max_examples=100, deadline=None)
@given(CHUNKS)
def test_random_chunks_roundtrip(chunk: CompletionChunk) -> None:
    assert COMPLETION_CHUNK_DECODER.decode(msgspec.json.encode(chunk)) == chunk
