"""Stream a Responses API request with httpx and print the text as it arrives,
then fold a second request into the final Response.

    python examples/httpx_sync.py                      # against a local replay server
    OPENAI_API_KEY=... python examples/httpx_sync.py https://api.openai.com
"""

from __future__ import annotations

import os
import sys

import httpx

import streamkit
from streamkit.events import ResponseTextDeltaEvent


def main(base_url: str, api_key: str = "unused") -> streamkit.Response:
    body = {"model": "responses-text", "input": "Tell me a story.", "stream": True}
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        # Typed events as they arrive.
        with streamkit.http.stream(client, "POST", "/v1/responses", json=body) as events:
            for event in events:
                if isinstance(event, ResponseTextDeltaEvent):
                    print(event.delta, end="", flush=True)
        print()
        # Or just the final object (resumed automatically if the connection drops).
        response = streamkit.http.reduce(client, "POST", "/v1/responses", json=body)
    assert isinstance(response, streamkit.Response)
    print(f"{response.id}: {response.status}, {response.usage.total_tokens} tokens")
    return response


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1], os.environ["OPENAI_API_KEY"])
    else:
        from _local import local_server

        with local_server() as url:
            main(url)
