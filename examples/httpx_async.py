"""The async twin: stream Chat Completions with httpx.AsyncClient (on asyncio
or trio), printing the text, then fold a request into a ChatCompletion.

    python examples/httpx_async.py
"""

from __future__ import annotations

import anyio
import httpx

import streamkit
from streamkit.events import ChatCompletionChunk


async def main(base_url: str) -> streamkit.ChatCompletion:
    body = {
        "model": "chat-text",
        "messages": [{"role": "user", "content": "Hello!"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        async with streamkit.http.astream(
            client, "POST", "/v1/chat/completions", json=body
        ) as events:
            async for event in events:
                if isinstance(event, ChatCompletionChunk):
                    for choice in event.choices:
                        if choice.delta and choice.delta.content:
                            print(choice.delta.content, end="", flush=True)
        print()
        completion = await streamkit.http.areduce(client, "POST", "/v1/chat/completions", json=body)
    assert isinstance(completion, streamkit.ChatCompletion)
    print(f"{completion.id}: finish_reason={completion.choices[0].finish_reason}")
    return completion


if __name__ == "__main__":
    from _local import local_server

    with local_server() as url:
        anyio.run(main, url)
