"""A gateway author's typed script: checked with ``mypy --strict`` by .ci/run.

It must type-check without casts: the public API says what it returns."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai

import streamkit
import streamkit.http
from streamkit.events import ChatCompletionChunk, ChoiceDelta, ResponseTextDeltaEvent
from streamkit.models import (
    ChatCompletion,
    Completion,
    Message,
    OutputMessage,
    OutputText,
    Response,
    Verdict,
)


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
    message: Message = streamkit.http.reduce(
        client, "POST", "/v1/messages", api="messages", json=payload
    )
    stop: str | None = message.stop_reason
    reducer = streamkit.reducer_for("messages")
    return stop or reducer.result().model


def finals(client: httpx.Client, payload: dict[str, object]) -> list[Verdict]:
    response: Response = streamkit.http.reduce(
        client, "POST", "/v1/responses", api="responses", json=payload, idle_timeout=30.0
    )
    chat: ChatCompletion = streamkit.http.reduce(
        client, "POST", "/v1/chat", api="chat", json=payload
    )
    legacy: Completion = streamkit.http.reduce(
        client, "POST", "/v1/completions", api="completions", json=payload
    )
    detected = streamkit.http.reduce(client, "POST", "/v1/responses", json=payload)
    return [response.verdict, chat.verdict, legacy.verdict, detected.verdict]


def reopen(response: httpx.Response, client: httpx.Client) -> int | None:
    policy = streamkit.http.Resume(max_attempts=3)
    with streamkit.http.stream(response, resume=policy, resume_client=client) as events:
        opened: streamkit.http.StreamingResponse = events.response
        for _ in events:
            pass
    return opened.status_code if events.resumes else events.last_sequence_number


def sdk_text(sdk: openai.OpenAI) -> str:
    with sdk.responses.with_streaming_response.create(
        model="gpt-4.1", input="Hi", stream=True
    ) as raw:
        response: Response = streamkit.http.reduce(raw, api="responses")
    return response.output_text if isinstance(response.output_text, str) else ""


async def sdk_async_chat(sdk: openai.AsyncOpenAI, client: httpx.AsyncClient) -> str | None:
    async with sdk.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True
    ) as raw:
        chat: ChatCompletion = await streamkit.http.areduce(
            raw, api="chat", resume_client=client, idle_timeout=10.0
        )
    return chat.choices[0].message.content if chat.choices else None


async def forward_async(client: httpx.AsyncClient, payload: dict[str, object]) -> int:
    count = 0
    async with streamkit.http.astream(
        client, "POST", "/v1/responses", json=payload, idle_timeout=5.0
    ) as events:
        async for event in events:
            count += isinstance(event, ResponseTextDeltaEvent)
    return count
