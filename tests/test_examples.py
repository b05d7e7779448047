"""Every script in examples/ runs (against a local replay server, no network)
and prints what it promises."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import REPO

EXPECTED = {
    "httpx_sync.py": ["At dawn", ": completed, 425 tokens"],
    "httpx_async.py": ["finish_reason=stop"],
    "openai_sdk.py": ["FunctionToolCall get_capital", "get_stock_price"],
    "pipeline.py": ["tool call: get_capital(", "events: 33"],
    "proxy.py": ["/v1/responses: 407 events, usage {'input_tokens': 25"],
    "resume.py": ["407 events over 5 connections", ": completed"],
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
