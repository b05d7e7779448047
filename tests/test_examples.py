"""Every script in examples/ runs (against a local replay server, no network)
and prints what it promises."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import msgspec
import pytest
from helpers import REPO

import streamkit
from streamkit.testing import demo_stream


def reduced(name: str) -> Any:
    return streamkit.reduce(demo_stream(name))


def count(name: str) -> int:
    return len(list(streamkit.iter_events(demo_stream(name))))


def calls(name: str) -> list[Any]:
    return streamkit.ToolCallsReducer().run(streamkit.iter_events(demo_stream(name)))


# What each script prints, derived from the demo streams the local server replays.
story = reduced("responses-text")
chat = reduced("chat-text")
EXPECTED = {
    "httpx_sync.py": [
        story.output[0].content[0].text[:40],
        f"{story.id}: completed, {story.usage.total_tokens} tokens",
    ],
    "httpx_async.py": [
        chat.choices[0].message.content[:40],
        f"{chat.id}: finish_reason=stop",
    ],
    "openai_sdk.py": [f"FunctionToolCall {c.name} {c.arguments}" for c in calls("responses-tools")]
    + [f"{c.name} {c.arguments}" for c in calls("chat-tools")],
    "pipeline.py": [f"tool call: {c.name}({c.arguments})" for c in calls("responses-tools")]
    + [f"events: {count('responses-tools')}"],
    "proxy.py": [
        f"/v1/responses: {count('responses-text')} events, usage {msgspec.to_builtins(story.usage)}"
    ],
    "resume.py": [f"{count('responses-text')} events over ", f"{story.id}: completed"],
    "gateway.py": [
        f"{path} over a Chat upstream: {(chat.choices[0].message.content or '')[:60]}..."
        for path in ("/v1/responses", "/v1/chat/completions", "/v1/messages")
    ],
}


def test_every_example_is_listed() -> None:
    scripts = {p.name for p in (REPO / "examples").glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / script)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for text in EXPECTED[script]:
        assert text in result.stdout, (text, result.stdout[-2000:])
    if script == "resume.py":  # the cut connections were resumed
        match = re.search(r" events over (\d+) connections", result.stdout)
        assert match and int(match.group(1)) > 1
