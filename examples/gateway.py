"""A gateway: serve the Responses, Chat Completions and Messages APIs over an
upstream that speaks any one of them, converting the stream as it flows.

``Gateway(upstream_url, upstream_api)`` is a plain ASGI app exposing
``POST /v1/responses``, ``/v1/chat/completions`` and ``/v1/messages``. A
streamed request is translated to the upstream's request shape (model,
messages, instructions, token limit; enough for this example), sent with
``streamkit.http.astream`` (which resumes a dropped Responses stream) and
converted event by event with ``streamkit.convert``. When the client speaks
the upstream's API, the upstream bytes are forwarded untouched with the
byte-exact ``streamkit.io.atee``.

Run as a script, it serves a generated Chat stream through all three
endpoints and reads them with the official openai and anthropic clients:

    python examples/gateway.py
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

import streamkit
from streamkit.convert import Converter
from streamkit.events import encode_event

PATHS = {"/v1/responses": "responses", "/v1/chat/completions": "chat", "/v1/messages": "messages"}


def _text(content: Any) -> str:
    """The text of a message's content in any of the three APIs' shapes."""
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


def translate(body: dict[str, Any], frm: str, to: str) -> dict[str, Any]:
    """A request of API ``frm`` in the shape of API ``to`` (text conversations)."""
    if frm == "responses":
        given = body.get("input", "")
        turns = [{"role": "user", "content": given}] if isinstance(given, str) else given
        system, limit = body.get("instructions"), body.get("max_output_tokens")
    else:
        turns = [m for m in body.get("messages", []) if m.get("role") != "system"]
        system = body.get("system") or "".join(
            _text(m["content"]) for m in body.get("messages", []) if m.get("role") == "system"
        )
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
    turns = [{"role": m["role"], "content": _text(m.get("content"))} for m in turns]
    out: dict[str, Any] = {"model": body.get("model"), "stream": True}
    if to == "responses":
        out.update(input=turns, instructions=system or None, max_output_tokens=limit)
    elif to == "messages":
        out.update(
            messages=turns, max_tokens=limit or 1024, **({"system": system} if system else {})
        )
    else:
        system_turn = [{"role": "system", "content": system}] if system else []
        out.update(messages=system_turn + turns, stream_options={"include_usage": True})
        if limit:
            out["max_completion_tokens"] = limit
    return {k: v for k, v in out.items() if v is not None}


class Gateway:
    """ASGI app: the three APIs over one upstream (see the module docstring)."""

    def __init__(self, upstream: str, upstream_api: str, *, headers: dict[str, str] | None = None):
        self.upstream, self.upstream_api = upstream, upstream_api
        self.headers = headers or {}
        #: The conversion report of every stream served (``lost`` says what was dropped).
        self.reports: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        client_api = PATHS.get(scope["path"])
        if client_api is None or scope["method"] != "POST":
            await _respond(send, 404, b'{"error": {"message": "not found"}}', b"application/json")
            return
        request = translate(msgspec.json.decode(body), client_api, self.upstream_api)
        path = next(p for p, api in PATHS.items() if api == self.upstream_api)
        start = {"type": "http.response.start", "status": 200, "headers": _SSE}
        async with httpx.AsyncClient(base_url=self.upstream, timeout=60) as client:
            if client_api == self.upstream_api:
                # Same API: the upstream's bytes, untouched, metered on the side.
                async with client.stream("POST", path, json=request, headers=self.headers) as up:
                    await send(start)
                    tee = streamkit.io.atee(up.aiter_raw(), streamkit.UsageReducer())
                    async for chunk in tee:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                self.reports.append(tee.result)
            else:
                converter = Converter(client_api, source=self.upstream_api)  # type: ignore[arg-type]
                async with streamkit.http.astream(
                    client,
                    "POST",
                    path,
                    json=request,
                    headers=self.headers,
                    api=self.upstream_api,
                    errors="yield",  # type: ignore[arg-type]
                ) as events:
                    await send(start)
                    async for event in events:
                        for out in converter.step(event):
                            data = encode_event(out, api=client_api)  # type: ignore[arg-type]
                            await send(
                                {"type": "http.response.body", "body": data, "more_body": True}
                            )
                for out in converter.finish():
                    data = encode_event(out, api=client_api)  # type: ignore[arg-type]
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                self.reports.append(converter.result())
        await send({"type": "http.response.body", "body": b"", "more_body": False})


_SSE = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]


async def _respond(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type)],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def main() -> dict[str, str]:
    import anthropic
    import openai

    from streamkit.testing import demo_stream
    from streamkit.testing.replay import ReplayApp, serving

    upstream = ReplayApp([("gpt-4o", demo_stream("chat-text"))])
    texts = {}
    with serving(upstream) as upstream_url, serving(Gateway(upstream_url, "chat")) as url:
        oa = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-unused")
        with oa.responses.stream(model="gpt-4o", input="Tell me a story.") as stream:
            texts["responses"] = stream.get_final_response().output_text
        with oa.chat.completions.stream(
            model="gpt-4o", messages=[{"role": "user", "content": "Tell me a story."}]
        ) as chat:
            texts["chat"] = chat.get_final_completion().choices[0].message.content or ""
        claude = anthropic.Anthropic(base_url=url, api_key="sk-unused")
        with claude.messages.stream(
            model="gpt-4o", max_tokens=1024, messages=[{"role": "user", "content": "Hi"}]
        ) as message:
            texts["messages"] = message.get_final_text()
    assert len(set(texts.values())) == 1, texts
    for path, name in [("/v1/responses", "responses"), ("/v1/chat/completions", "chat")]:
        print(f"{path} over a Chat upstream: {texts[name][:60]}...")
    print(f"/v1/messages over a Chat upstream: {texts['messages'][:60]}...")
    return texts


if __name__ == "__main__":
    main()
