"""Verdicts and what they carry: one ``ServerError`` for every API's error shapes,
``Verdict.describe()``, and ``usage_summary`` of every API's final object."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

import streamkit
from streamkit.errors import APIStreamError, IncompleteStreamError, TruncatedStreamError
from streamkit.events import StreamErrorEvent
from streamkit.events.errors import ErrorDetail
from streamkit.events.messages import MessageErrorDetail, MessageErrorEvent
from streamkit.models import (
    ChatCompletion,
    Completion,
    ServerError,
    UsageSummary,
    Verdict,
    usage_summary,
)
from streamkit.testing import chat_stream, demo_stream, messages_stream, responses_stream


def sse(payload: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


def frames(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(bytes(f.data)) for f in streamkit.io.iter_frames(body) if f.data != "[DONE]"]


def failed_responses_stream(error: dict[str, Any] | None) -> bytes:
    """A generated Responses stream whose terminal event is ``response.failed``."""
    payloads = frames(responses_stream(seed=2, text_words=3))
    last = payloads.pop()
    assert last["type"] == "response.completed"
    last["type"] = "response.failed"
    last["response"]["status"] = "failed"
    last["response"]["error"] = error
    return b"".join(sse(p, p["type"]) for p in [*payloads, last])


# --------------------------------------------------------------------------- #
# ServerError.from_event: every API's shapes
# --------------------------------------------------------------------------- #

RESPONSES_SPEC_ERROR = {
    "type": "error",
    "code": "rate_limit_exceeded",
    "message": "slow down",
    "param": None,
    "sequence_number": 3,
}
RESPONSES_NESTED_ERROR = {
    "type": "error",
    "sequence_number": 2,
    "error": {"type": "insufficient_quota", "code": "quota", "message": "no quota", "param": "p"},
}
CHAT_ERROR = {"error": {"message": "bad gateway", "type": "server_error", "code": 502}}
MESSAGES_ERROR = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


@pytest.mark.parametrize(
    ("payload", "want"),
    [
        (RESPONSES_SPEC_ERROR, (None, "rate_limit_exceeded", "slow down", None)),
        (RESPONSES_NESTED_ERROR, ("insufficient_quota", "quota", "no quota", "p")),
        (CHAT_ERROR, ("server_error", 502, "bad gateway", None)),
        (MESSAGES_ERROR, ("overloaded_error", None, "Overloaded", None)),
    ],
    ids=["responses-spec", "responses-nested", "chat", "messages"],
)
def test_error_events_of_every_api_give_the_same_fields(
    payload: dict[str, Any], want: tuple[Any, ...]
) -> None:
    body = sse(payload, "error" if payload.get("type") == "error" else None)
    [event] = streamkit.iter_events(body, errors="yield")
    for error in (ServerError.from_event(event), ServerError.from_event(payload)):
        assert (error.type, error.code, error.message, error.param) == want
        assert error.raw == msgspec.to_builtins(event)
    # The decoder's exception and the reduced verdict read the same constructor.
    with pytest.raises(APIStreamError) as info:
        list(streamkit.iter_events(body))
    exc = info.value
    assert (exc.type, exc.code, exc.server_message, exc.param) == want
    verdict = streamkit.reduce(body).verdict
    assert verdict.status == "errored"
    assert verdict.error == ServerError.from_event(event)


def test_models_and_details_are_read_like_events() -> None:
    chat = ServerError.from_event(StreamErrorEvent(error=ErrorDetail(message="x", code=500)))
    assert (chat.type, chat.code, chat.message) == (None, 500, "x")
    detail = ServerError.from_event(ErrorDetail(message="x", type="server_error"))
    assert (detail.type, detail.message, detail.raw) == (
        "server_error",
        "x",
        {"message": "x", "type": "server_error"},
    )
    messages = ServerError.from_event(
        MessageErrorEvent(error=MessageErrorDetail(type="api_error", message="m"))
    )
    assert (messages.type, messages.message) == ("api_error", "m")


def test_a_top_level_field_wins_over_the_nested_one() -> None:
    error = ServerError.from_event(
        {"type": "error", "message": "top", "error": {"message": "nested", "code": "c"}}
    )
    assert (error.type, error.code, error.message) == (None, "c", "top")


def test_unusual_shapes() -> None:
    assert ServerError.from_event({"error": "plain text"}).message == "plain text"
    # A boolean is not a code, a number is not a message.
    odd = ServerError.from_event({"error": {"message": 5, "code": True}})
    assert (odd.code, odd.message) == (None, None)
    assert ServerError.from_event(None) == ServerError()
    assert ServerError.from_event({"type": "response.failed", "response": {"error": None}}) == (
        ServerError()
    )


def test_response_failed_gives_the_responses_error() -> None:
    body = failed_responses_stream({"code": "server_error", "message": "boom"})
    verdict = streamkit.reduce(body).verdict
    assert verdict.status == "failed"
    assert verdict.error == ServerError(
        code="server_error", message="boom", raw={"code": "server_error", "message": "boom"}
    )
    with pytest.raises(APIStreamError) as info:
        list(streamkit.iter_events(body))
    assert (info.value.code, info.value.server_message) == ("server_error", "boom")
    assert info.value.event_type == "response.failed"
    # A failed response without an error object: no error to report.
    verdict = streamkit.reduce(failed_responses_stream(None)).verdict
    assert (verdict.status, verdict.error) == ("failed", None)


def test_strict_mode_raises_the_verdicts_error() -> None:
    body = chat_stream(seed=1, text_words=3)
    body = body[: body.index(b"data: [DONE]")] + sse(CHAT_ERROR)
    with pytest.raises(APIStreamError) as info:
        streamkit.reduce(body, strict=True)
    exc = info.value
    assert (exc.type, exc.code, exc.server_message) == ("server_error", 502, "bad gateway")
    assert exc.event == ServerError.from_event(CHAT_ERROR)
    assert exc.event_type == "errored" and exc.partial is not None


def test_checkpoints_keep_the_error() -> None:
    body = messages_stream(seed=1, text_words=3)
    reducer = streamkit.MessageReducer()
    for event in streamkit.iter_events(body + sse(MESSAGES_ERROR, "error"), errors="yield"):
        reducer.step(event)
    restored = streamkit.MessageReducer.restore(reducer.checkpoint())
    assert restored.finish().verdict.error == reducer.finish().verdict.error
    assert restored.finish().verdict.error.type == "overloaded_error"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- #
# Verdict.describe
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("verdict", "text"),
    [
        (Verdict(status="completed"), "stream completed"),
        (Verdict(status="incomplete", reason="length"), "stream incomplete: length"),
        (Verdict(status="incomplete"), "stream incomplete: no reason given"),
        (
            Verdict(status="errored", error=ServerError(message="Overloaded", code="busy")),
            "stream errored: server error: Overloaded (code='busy')",
        ),
        (
            Verdict(status="failed", error=ServerError(code=502)),
            "stream failed: server error: no message (code=502)",
        ),
        (Verdict(status="failed"), "stream failed: server error: no details"),
        (
            Verdict(status="truncated", last_sequence_number=71),
            "stream truncated: the bytes ended before its terminal event after sequence_number 71",
        ),
        (
            Verdict(status="truncated"),
            "stream truncated: the bytes ended before its terminal event",
        ),
        (
            Verdict(status="unterminated"),
            "stream unterminated: every choice finished, but the bytes ended without [DONE] "
            "(a usage chunk sent after the last finish_reason may be lost)",
        ),
        (
            Verdict(status="in_progress", reason="not reduced from a stream"),
            "stream in_progress: not reduced from a stream",
        ),
    ],
)
def test_describe(verdict: Verdict, text: str) -> None:
    assert verdict.describe() == text


def test_strict_errors_say_what_the_verdict_says() -> None:
    cut = demo_stream("responses-text")[:5_000]
    verdict = streamkit.reduce(cut).verdict
    with pytest.raises(TruncatedStreamError) as truncated:
        streamkit.reduce(cut, strict=True)
    assert truncated.value.message == verdict.describe()
    body = chat_stream(seed=1, text_words=3).replace(b'"stop"', b'"length"')
    with pytest.raises(IncompleteStreamError) as incomplete:
        streamkit.reduce(body, strict=True)
    assert incomplete.value.message == "stream incomplete: length"


# --------------------------------------------------------------------------- #
# usage_summary
# --------------------------------------------------------------------------- #


def test_usage_of_responses_and_chat_is_the_servers() -> None:
    response = streamkit.reduce(responses_stream(seed=4, reasoning=True), "responses")
    usage = response.usage
    assert usage_summary(response) == UsageSummary(
        input_tokens=usage.input_tokens,  # type: ignore[union-attr]
        output_tokens=usage.output_tokens,  # type: ignore[union-attr]
        total_tokens=usage.total_tokens,  # type: ignore[union-attr]
        cached_tokens=usage.input_tokens_details.cached_tokens,  # type: ignore[union-attr]
        reasoning_tokens=usage.output_tokens_details.reasoning_tokens,  # type: ignore[union-attr]
    )
    chat = streamkit.reduce(chat_stream(seed=4), "chat")
    got = usage_summary(chat)
    assert got is not None and chat.usage is not msgspec.UNSET
    assert (got.input_tokens, got.output_tokens, got.total_tokens) == (
        chat.usage.prompt_tokens,
        chat.usage.completion_tokens,
        chat.usage.total_tokens,
    )
    assert usage_summary(streamkit.reduce(chat_stream(seed=4, usage=False), "chat")) is None


def test_usage_of_chat_and_completions_details() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 64, "cache_write_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 12},
    }
    chat = msgspec.convert(
        {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
        | {"usage": usage},
        ChatCompletion,
    )
    completion = msgspec.convert(
        {"id": "c", "object": "text_completion", "created": 0, "model": "m", "choices": []}
        | {"usage": usage},
        Completion,
    )
    want = UsageSummary(
        input_tokens=100,
        output_tokens=20,
        total_tokens=120,
        cached_tokens=64,
        cache_write_tokens=8,
        reasoning_tokens=12,
    )
    assert usage_summary(chat) == usage_summary(completion) == want


def test_usage_of_messages_counts_the_cached_prompt_tokens() -> None:
    body = messages_stream(seed=4, thinking=True)
    # Cumulative counts: message_start's and the last message_delta's alike.
    uncached = b'"cache_creation_input_tokens":0,"cache_read_input_tokens":0'
    assert body.count(uncached) == 2
    body = body.replace(uncached, b'"cache_creation_input_tokens":20,"cache_read_input_tokens":300')
    body = body.replace(
        b'"usage":{"output_tokens"',
        b'"usage":{"output_tokens_details":{"thinking_tokens":7},"output_tokens"',
    )
    message = streamkit.reduce(body, "messages")
    usage = message.usage
    summary = usage_summary(message)
    assert summary is not None
    given = usage.input_tokens + 320
    assert summary.input_tokens == given
    assert summary.output_tokens == usage.output_tokens
    assert summary.total_tokens == given + usage.output_tokens
    assert (summary.cached_tokens, summary.cache_write_tokens) == (300, 20)
    assert summary.reasoning_tokens == 7
