"""A metering proxy: forward an upstream stream to the client byte for byte
while streamkit parses a copy on the side and records the token usage.

The proxy is a plain ASGI app (run it under any ASGI server); the upstream is
any OpenAI-compatible endpoint. Run as a script, it starts a local replay
server as the upstream and the proxy in front of it, sends a request through
the openai SDK, and checks that the client got the upstream's exact bytes.

    python examples/proxy.py
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

import streamkit


class MeteringProxy:
    """ASGI app: POST /v1/... is forwarded upstream; streamed answers are
    passed through untouched and their usage is appended to ``meter``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.meter: list[dict[str, Any]] = []
        self.forwarded: list[bytes] = []  # what the client was sent, for the demo

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {
            k.decode(): v.decode()
            for k, v in scope["headers"]
            if k.lower() not in (b"host", b"content-length", b"accept-encoding")
        }
        async with httpx.AsyncClient(base_url=self.upstream, timeout=60) as client:
            request = client.build_request(
                scope["method"], scope["path"], content=body, headers=headers
            )
            upstream = await client.send(request, stream=True)
            await send(
                {
                    "type": "http.response.start",
                    "status": upstream.status_code,
                    "headers": [
                        (k.encode(), v.encode())
                        for k, v in upstream.headers.items()
                        if k.lower() in ("content-type", "cache-control")
                    ],
                }
            )
            # aiter_raw(): the bytes as they came off the wire, not decompressed.
            tee = streamkit.io.atee(upstream.aiter_raw(), streamkit.UsageReducer())
            async for chunk in tee:
                self.forwarded.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            await upstream.aclose()
        usage = tee.result
        self.meter.append(
            {
                "path": scope["path"],
                "usage": msgspec.to_builtins(usage) if usage is not None else None,
                "events": tee.events,
                "parse_error": str(tee.error) if tee.error else None,
            }
        )


def main() -> list[dict[str, Any]]:
    import openai
    from _local import local_server

    from streamkit.testing import demo_stream
    from streamkit.testing.replay import serving

    with local_server() as upstream_url:
        proxy = MeteringProxy(upstream_url)
        with serving(proxy) as proxy_url:
            client = openai.OpenAI(base_url=f"{proxy_url}/v1", api_key="unused")
            with client.responses.with_streaming_response.create(
                model="responses-text", input="A story, please.", stream=True
            ) as raw:
                received = b"".join(raw.iter_bytes())
    assert received == b"".join(proxy.forwarded) == demo_stream("responses-text")
    for entry in proxy.meter:
        print(f"{entry['path']}: {entry['events']} events, usage {entry['usage']}")
    return proxy.meter


if __name__ == "__main__":
    main()
