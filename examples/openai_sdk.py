"""Use the official openai SDK for the request (auth, retries, base URL) and
streamkit for the stream: the SDK's raw streaming response hands its bytes to
streamkit instead of the SDK's own parser.

    python examples/openai_sdk.py
"""

from __future__ import annotations

from typing import Any

import openai

import streamkit


def main(base_url: str) -> tuple[streamkit.Response, list[Any]]:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused")

    with client.responses.with_streaming_response.create(
        model="responses-tools", input="Convert 250 CAD to NOK; flights EZE to YUL?", stream=True
    ) as raw:
        response = streamkit.reduce(raw.iter_bytes())
    assert isinstance(response, streamkit.Response)
    for item in response.output:
        print(type(item).__name__, getattr(item, "name", ""), getattr(item, "arguments", ""))

    chat = client.chat.completions.with_streaming_response.create(
        model="chat-tools",
        messages=[{"role": "user", "content": "Weather in Tokyo and Lisbon?"}],
        stream=True,
    )
    # streamkit.http.stream also takes the SDK's raw response directly.
    with chat as raw, streamkit.http.stream(raw) as events:
        tools = streamkit.ToolCallsReducer()
        for event in events:
            tools.step(event)
    calls = tools.finish()
    for call in calls:
        print(call.name, call.arguments)
    return response, calls


if __name__ == "__main__":
    from _local import local_server

    with local_server() as url:
        main(url)
