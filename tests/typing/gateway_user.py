"""A gateway author's typed script: checked with ``mypy --strict`` by .ci/run.

It must type-check without casts: the public API says what it returns."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

import streamkit
import streamkit.http
from streamkit.events import ChatCompletionChunk, ChoiceDelta, ResponseTextDeltaEvent
from streamkit.models import OutputMessage, OutputText, Response, Verdict


def final_text(body: bytes) -> str:
    response: Response = streamkit.reduce(body, api="responses")
    verdict: Verdict = response.verdict
    if not verdict.ok:
        raise RuntimeError(f"stream ended {verdict.status}: {verdict.reason}")
    texts: list[str] = []
    for item in response.output or []:
        if isinstance(item, OutputMessage):
            texts += [part.text for part in item.content if isinstance(part, OutputText)]
    return "".join(texts)


def billed_tokens(body: bytes) -> int:
    completion = streamkit.reduce(body, api="chat")
    return completion.usage.total_tokens if completion.usage else 0


def deltas(chunks: Iterator[bytes]) -> Iterator[str]:
    for event in streamkit.iter_events(chunks):
        if isinstance(event, ResponseTextDeltaEvent):
            yield event.delta
        elif isinstance(event, ChatCompletionChunk) and event.choices:
            delta = event.choices[0].delta
            if isinstance(delta, ChoiceDelta) and isinstance(delta.content, str):
                yield delta.content


def forward(upstream: Iterator[bytes]) -> Iterator[bytes]:
    tee = streamkit.tee(upstream, streamkit.UsageReducer())
    yield from tee


def proxy(client: httpx.Client, payload: dict[str, object]) -> str:
    message = streamkit.http.reduce(client, "POST", "/v1/messages", json=payload)
    stop: str | None = getattr(message, "stop_reason", None)
    reducer = streamkit.reducer_for("messages")
    return stop or reducer.result().model
