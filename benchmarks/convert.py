"""Conversion throughput: bytes of one API in → SSE bytes of another out.

    python -m benchmarks.convert [--quick] [--json PATH]

For each input and direction it times ``streamkit.convert`` + ``encode_events``
and, on the same bytes, plain ``streamkit.reduce`` (the ratio: conversion and
encoding as a fraction of reduce throughput), and the peers that do the same
conversion where they are installed:

* openai-agents' Chat → Responses handler (``ChatCmplStreamHandler``), fed the
  typed chunks the openai SDK would hand it (bytes → JSON → ``ChatCompletionChunk``),
  its events written as SSE with pydantic's ``model_dump_json``;
* litellm's Chat → Messages adapter (``AnthropicStreamWrapper``), fed
  ``ModelResponseStream`` chunks built from the same bytes, its events written
  with ``json.dumps``.

Runs are timed in CPU time (``time.process_time``); streamkit and each peer
alternate run by run and the figure is the median of the per-run ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import streamkit
from streamkit.convert import convert
from streamkit.events import encode_events
from streamkit.testing import chat_stream, messages_stream, responses_stream

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import


def _inputs(quick: bool) -> dict[str, bytes]:
    words = 2_000 if quick else 20_000
    return {
        "chat-text": chat_stream(seed=1, text_words=words),
        "chat-tools": chat_stream(seed=2, text_words=words // 4, tool_calls=8, preamble=True),
        "responses-reasoning-tools": responses_stream(
            seed=3, text_words=words // 2, tool_calls=4, reasoning=True, preamble=True
        ),
        "messages-thinking-tools": messages_stream(
            seed=4, text_words=words // 2, tool_calls=4, thinking=True, preamble=True
        ),
    }


def _source_api(name: str) -> str:
    return name.split("-", 1)[0]


# --------------------------------------------------------------------------- #
# What is timed
# --------------------------------------------------------------------------- #


def streamkit_convert(body: bytes, to: str) -> int:
    return len(b"".join(encode_events(convert(body, to), api=to)))  # type: ignore[arg-type]


def streamkit_reduce(body: bytes, to: str) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        streamkit.reduce(body)
    return 0


def _chat_payloads(body: bytes) -> list[dict[str, Any]]:
    out = []
    for line in body.split(b"\n"):
        if line.startswith(b"data: ") and line != b"data: [DONE]":
            out.append(json.loads(line[6:]))
    return out


def agents_chat_to_responses(body: bytes, to: str) -> int:
    from agents.models.chatcmpl_stream_handler import ChatCmplStreamHandler
    from openai.types.chat import ChatCompletionChunk
    from openai.types.responses import Response

    chunks = [ChatCompletionChunk.model_validate(p) for p in _chat_payloads(body)]

    async def stream() -> Any:
        for chunk in chunks:
            yield chunk

    shell = Response(
        id="resp_bench",
        created_at=0,
        model="gpt-4o",
        object="response",
        output=[],
        tool_choice="auto",
        tools=[],
        parallel_tool_calls=True,
    )

    async def run() -> int:
        size = 0
        async for event in ChatCmplStreamHandler.handle_stream(shell, stream()):  # type: ignore[arg-type]
            size += len(
                b"event: %s\ndata: %s\n\n" % (event.type.encode(), event.model_dump_json().encode())
            )
        return size

    return asyncio.run(run())


def litellm_chat_to_messages(body: bytes, to: str) -> int:
    from litellm.llms.anthropic.messages.adapters.streaming_iterator import (
        AnthropicStreamWrapper,
    )
    from litellm.types.utils import ModelResponseStream

    chunks = [ModelResponseStream(**p) for p in _chat_payloads(body)]
    size = 0
    for event in AnthropicStreamWrapper(completion_stream=iter(chunks), model="gpt-4o"):
        data = event if isinstance(event, dict) else event.model_dump()
        size += len(
            b"event: %s\ndata: %s\n\n"
            % (str(data.get("type")).encode(), json.dumps(data, default=str).encode())
        )
    return size


PEERS: dict[tuple[str, str], tuple[str, Callable[[bytes, str], int]]] = {
    ("chat", "responses"): ("openai-agents", agents_chat_to_responses),
    ("chat", "messages"): ("litellm", litellm_chat_to_messages),
}


def _peer_ready(name: str, fn: Callable[[bytes, str], int], body: bytes, to: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(body, to)
    except ImportError as exc:
        return f"not installed ({exc.name})"
    except Exception as exc:  # a peer that cannot run offline or on this input
        return f"failed: {type(exc).__name__}: {str(exc)[:80]}"
    return None


def _time(fn: Callable[[bytes, str], int], body: bytes, to: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.process_time()
        fn(body, to)
        return time.process_time() - start


def _ratio(
    a: Callable[[bytes, str], int], b: Callable[[bytes, str], int], body: bytes, to: str, runs: int
) -> tuple[float, float, float]:
    """Median of time(b) / time(a), alternating; and the medians of each."""
    ta, tb = [], []
    for _ in range(runs):
        ta.append(_time(a, body, to))
        tb.append(_time(b, body, to))
    ratios = [y / x for x, y in zip(ta, tb, strict=True) if x > 0]
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.convert", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer runs")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 7
    rows: list[dict[str, Any]] = []
    print(f"{'input':28} {'to':10} {'MB':>6} {'convert MB/s':>13} {'vs reduce':>10}  peer")
    for name, body in _inputs(args.quick).items():
        source = _source_api(name)
        mb = len(body) / 1e6
        for to in ("responses", "chat", "messages"):
            if to == source:
                continue
            vs_reduce, t_convert, _ = _ratio(streamkit_convert, streamkit_reduce, body, to, runs)
            row: dict[str, Any] = {
                "input": name,
                "to": to,
                "bytes": len(body),
                "convert_mb_s": mb / t_convert,
                "fraction_of_reduce": vs_reduce,
            }
            peer_text = ""
            peer = PEERS.get((source, to))
            if peer is not None:
                peer_name, fn = peer
                problem = _peer_ready(peer_name, fn, body, to)
                if problem is None:
                    speedup, _, t_peer = _ratio(streamkit_convert, fn, body, to, runs)
                    row["peer"] = {"name": peer_name, "speedup": speedup, "mb_s": mb / t_peer}
                    peer_text = f"{speedup:6.1f}x {peer_name} ({mb / t_peer:.2f} MB/s)"
                else:
                    row["peer"] = {"name": peer_name, "problem": problem}
                    peer_text = f"{peer_name}: {problem}"
            rows.append(row)
            print(
                f"{name:28} {to:10} {mb:6.2f} {mb / t_convert:13.1f} {vs_reduce:10.2f}  {peer_text}"
            )
            sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
