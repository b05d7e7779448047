"""The example gateway, driven by the official openai and anthropic clients'
streaming helpers over real sockets, with the replay server as its upstream."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import streamkit
from streamkit.convert import Conversion
from streamkit.testing import demo_stream, messages_stream
from streamkit.testing.replay import ReplayApp, serving

pytest.importorskip("uvicorn")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gateway.py"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("streamkit_gateway_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gateway = _load()

UPSTREAMS = {
    "responses": demo_stream("responses-tools"),
    "chat": demo_stream("chat-tools"),
    "messages": messages_stream(seed=5, tool_calls=2, thinking=True),
}


def expected_calls(body: bytes) -> list[tuple[str, Any]]:
    calls = streamkit.ToolCallsReducer().run(streamkit.iter_events(body))
    return [(c.name, c.parsed) for c in calls]


@pytest.fixture(params=list(UPSTREAMS))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Any]]:
    api = request.param
    upstream = ReplayApp([("model-x", UPSTREAMS[api])], chunk_sizes=(1, 300))
    app = gateway.Gateway("", api)
    with serving(upstream) as upstream_url:
        app.upstream = upstream_url
        with serving(app) as url:
            yield api, url, app


def test_openai_responses_client(served: tuple[str, str, Any]) -> None:
    api, url, _app = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-unused")
    with client.responses.stream(model="model-x", input="Go.") as stream:
        final = stream.get_final_response()
    calls = [(i.name, json.loads(i.arguments)) for i in final.output if i.type == "function_call"]
    assert calls == expected_calls(UPSTREAMS[api])
    assert final.status == "completed" and final.usage is not None


def test_openai_chat_client(served: tuple[str, str, Any]) -> None:
    api, url, _app = served
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-unused")
    with client.chat.completions.stream(
        model="model-x", messages=[{"role": "user", "content": "Go."}]
    ) as stream:
        final = stream.get_final_completion()
    choice = final.choices[0]
    calls = [(t.function.name, json.loads(t.function.arguments)) for t in choice.message.tool_calls]
    assert calls == expected_calls(UPSTREAMS[api])
    assert choice.finish_reason == "tool_calls"


def test_anthropic_client(served: tuple[str, str, Any]) -> None:
    api, url, app = served
    client = anthropic.Anthropic(base_url=url, api_key="sk-unused")
    with client.messages.stream(
        model="model-x", max_tokens=100, messages=[{"role": "user", "content": "Go."}]
    ) as stream:
        final = stream.get_final_message()
    calls = [(b.name, b.input) for b in final.content if b.type == "tool_use"]
    assert calls == expected_calls(UPSTREAMS[api])
    assert final.stop_reason == "tool_use"
    report = app.reports[-1]
    if api == "messages":
        # The same API: the upstream's bytes went through the tee, metered.
        assert not isinstance(report, Conversion) and report is not None
    else:
        assert isinstance(report, Conversion) and report.ended


def test_same_api_is_forwarded_byte_for_byte() -> None:
    body = demo_stream("chat-text")
    upstream = ReplayApp([("model-x", body)])
    app = gateway.Gateway("", "chat")
    with serving(upstream) as upstream_url:
        app.upstream = upstream_url
        with serving(app) as url:
            import httpx

            with httpx.Client(base_url=url) as client:
                got = client.post(
                    "/v1/chat/completions",
                    json={"model": "model-x", "messages": [], "stream": True},
                ).content
    assert got == body
    assert app.reports[-1] is not None


def test_a_dropped_responses_upstream_is_resumed() -> None:
    body = demo_stream("responses-text")
    upstream = ReplayApp([("model-x", body)], cut_every=40, cut_partial=True)
    app = gateway.Gateway("", "responses")
    with serving(upstream) as upstream_url:
        app.upstream = upstream_url
        with serving(app) as url:
            client = anthropic.Anthropic(base_url=url, api_key="sk-unused")
            with client.messages.stream(
                model="model-x", max_tokens=100, messages=[{"role": "user", "content": "Go."}]
            ) as stream:
                text = stream.get_final_text()
    original = streamkit.reduce(body)
    assert text == original.output[0].content[0].text
    assert app.reports[-1].ended and app.reports[-1].lost == []
