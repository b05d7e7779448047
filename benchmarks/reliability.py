"""Complexity: how time grows with hostile input shapes.

``python -m benchmarks.reliability [--scale F] [--repeat N]`` times each case
at a size n and at 8n and reports the growth ratio t(8n) / t(n) (target:
at most 8.8, i.e. linear within 10 %):

- one huge event fed a byte at a time (both decoders);
- a million tiny ``data:`` lines in one event, and a million tiny events;
- a million comment lines;
- a long line without a newline, in 64 KiB reads;
- tool arguments as 100k one-character deltas, folded by ``reduce`` and read
  through ``ToolCallsReducer(partial=True).in_progress()`` after every delta;
- 50k Responses output items folded by ``reduce``.

Then the garbage collector's share on the large streams: the same runs with
``gc`` enabled and disabled. Times are CPU time of this thread, the best of
``--repeat`` runs (a slow stretch of a busy machine only ever adds time).

The benchmark runs with glibc's mmap threshold fixed
(``MALLOC_MMAP_THRESHOLD_=131072``; it re-executes itself to set it). By
default glibc raises the threshold up to 32 MiB as large blocks are freed, so
an 8 MiB buffer comes back from heap pages already touched while a 64 MiB one
is a fresh mapping whose every page faults on first write: a ratio across
that line measures page faults, not the decoder.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import streamkit
from streamkit.reducers import ToolCallsReducer
from streamkit.sse._decoder import CSSEDecoder, PySSEDecoder
from streamkit.testing import responses_stream

__all__ = ["CASES", "Case", "growth", "main"]

TARGET = 8.8
clock = time.thread_time


@dataclass(frozen=True)
class Case:
    """A hostile input of size ``n`` (``make``) and the work done on it (``run``)."""

    name: str
    n: int  # the smaller size; the larger one is 8n
    unit: str
    make: Callable[[int], object]
    run: Callable[[object], object]


# -- inputs -----------------------------------------------------------------------------------


def _huge_event(n: int) -> list[bytes]:
    body = b"data: " + b"x" * n + b"\n\n"
    return [body[i : i + 1] for i in range(len(body))]


def _feed_all(impl: type) -> Callable[[object], object]:
    def run(chunks: object) -> object:
        dec = impl(max_event_bytes=1 << 30)
        feed = dec.feed
        frames = 0
        for chunk in chunks:  # type: ignore[attr-defined]
            frames += len(feed(chunk))
        return frames + len(dec.close())

    return run


def _frames(impl: type, chunk_size: int = 65536) -> Callable[[object], object]:
    def run(data: object) -> object:
        dec = impl(max_event_bytes=1 << 30)
        feed = dec.feed
        body: bytes = data  # type: ignore[assignment]
        frames = 0
        for i in range(0, len(body), chunk_size):
            frames += len(feed(body[i : i + chunk_size]))
        return frames + len(dec.close())

    return run


def _tiny_lines(n: int) -> bytes:
    return b"data: x\n" * n + b"\n"


def _tiny_events(n: int) -> bytes:
    return b"data: x\n\n" * n


def _comments(n: int) -> bytes:
    return b": keep-alive\n" * n + b"data: x\n\n"


def _long_line(n: int) -> bytes:
    return b"data: " + b"x" * n


_ID = "fc_0123456789abcdef"


def _responses_head() -> list[bytes]:
    """The ``response.created`` payload of a generated stream."""
    first = responses_stream(text_words=1).split(b"\n\n", 1)[0]
    return [line[6:] for line in first.split(b"\n") if line.startswith(b"data: ")]


def _tool_deltas(n: int) -> bytes:
    """One function call whose arguments ``{"a":"xxx…"}`` arrive a character
    at a time."""
    events = _responses_head()
    item = {"type": "function_call", "id": _ID, "call_id": "call_1", "name": "f"}
    item |= {"arguments": "", "status": "in_progress"}
    events.append(
        json.dumps(
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": item,
                "sequence_number": 1,
            }
        ).encode()
    )
    text = '{"a":"' + "x" * max(0, n - 8) + '"}'
    template = (
        '{"type":"response.function_call_arguments.delta","item_id":"%s","output_index":0,'
        '"delta":%s,"sequence_number":%d}'
    )
    events.extend((template % (_ID, json.dumps(ch), i + 2)).encode() for i, ch in enumerate(text))
    return b"".join(b"data: " + e + b"\n\n" for e in events)


def _output_items(n: int) -> bytes:
    """A Responses stream of ``n`` small message items, each added, given one
    text delta and done."""
    events = _responses_head()
    seq = 1
    for i in range(n):
        mid = f"msg_{i}"
        item = {
            "type": "message",
            "id": mid,
            "role": "assistant",
            "content": [],
            "status": "in_progress",
        }
        part = {"type": "output_text", "text": "", "annotations": []}
        done = {
            "type": "message",
            "id": mid,
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "hi", "annotations": []}],
        }
        for event in (
            {"type": "response.output_item.added", "output_index": i, "item": item},
            {
                "type": "response.content_part.added",
                "item_id": mid,
                "output_index": i,
                "content_index": 0,
                "part": part,
            },
            {
                "type": "response.output_text.delta",
                "item_id": mid,
                "output_index": i,
                "content_index": 0,
                "delta": "hi",
            },
            {"type": "response.output_item.done", "output_index": i, "item": done},
        ):
            event["sequence_number"] = seq
            seq += 1
            events.append(json.dumps(event, separators=(",", ":")).encode())
    return b"".join(b"data: " + e + b"\n\n" for e in events)


def _reduce(data: object) -> object:
    return streamkit.reduce(data)  # type: ignore[call-overload]


def _partial_reads(data: object) -> object:
    tools = ToolCallsReducer(partial=True)
    reads = 0
    for event in streamkit.iter_events(data):  # type: ignore[arg-type]
        tools.step(event)
        reads += len(tools.in_progress())
    return reads


_IMPLS: list[tuple[str, type]] = [("python", PySSEDecoder)]
if CSSEDecoder is not None:
    _IMPLS.insert(0, ("compiled", CSSEDecoder))

CASES: list[Case] = [
    *(
        Case(
            f"one huge event, a byte per feed ({name})",
            200_000,
            "bytes",
            _huge_event,
            _feed_all(impl),
        )
        for name, impl in _IMPLS
    ),
    *(
        Case(
            f"1M tiny data: lines, one event ({name})", 125_000, "lines", _tiny_lines, _frames(impl)
        )
        for name, impl in _IMPLS
    ),
    *(
        Case(f"1M tiny events ({name})", 125_000, "events", _tiny_events, _frames(impl))
        for name, impl in _IMPLS
    ),
    *(
        Case(f"1M comment lines ({name})", 125_000, "lines", _comments, _frames(impl))
        for name, impl in _IMPLS
    ),
    *(
        Case(f"long line without newline ({name})", 8 << 20, "bytes", _long_line, _frames(impl))
        for name, impl in _IMPLS
    ),
    Case("100k one-char tool deltas: reduce", 12_500, "deltas", _tool_deltas, _reduce),
    Case(
        "100k one-char tool deltas: in_progress() per delta",
        12_500,
        "deltas",
        _tool_deltas,
        _partial_reads,
    ),
    Case("50k output items: reduce", 6_250, "items", _output_items, _reduce),
]


def _best(run: Callable[[object], object], data: object, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = clock()
        run(data)
        best = min(best, clock() - t0)
    return best


def growth(case: Case, scale: float = 1.0, repeat: int = 3) -> tuple[int, float, float]:
    """(n, t(n), t(8n)) for ``case`` with its sizes multiplied by ``scale``."""
    n = max(8, int(case.n * scale))
    small, large = case.make(n), case.make(8 * n)
    return n, _best(case.run, small, repeat), _best(case.run, large, repeat)


def gc_share(case: Case, scale: float = 1.0, repeat: int = 3) -> tuple[float, float]:
    """(time with gc enabled, time with gc disabled) at 8n."""
    data = case.make(max(8, int(case.n * scale)) * 8)
    on = _best(case.run, data, repeat)
    gc.disable()
    try:
        off = _best(case.run, data, repeat)
    finally:
        gc.enable()
    return on, off


def _fixed_mmap_threshold() -> None:
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or not sys.platform.startswith("linux"):
        return
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks.reliability", *sys.argv[1:]], env)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        _fixed_mmap_threshold()
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reliability", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier (1.0)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best counts")
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    cases = [c for c in CASES if args.only is None or args.only in c.name]
    print(f"| case | n → 8n | t(n) | t(8n) | ratio (≤ {TARGET}) |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for case in cases:
        n, t1, t8 = growth(case, args.scale, args.repeat)
        ratio = t8 / t1 if t1 > 0 else float("nan")
        worst = max(worst, ratio)
        mark = "" if ratio <= TARGET else " **over**"
        print(
            f"| {case.name} | {n:,} → {8 * n:,} {case.unit} | {t1 * 1e3:.1f} ms | "
            f"{t8 * 1e3:.1f} ms | {ratio:.2f}x{mark} |",
            flush=True,
        )
    print()
    print("| garbage collector on large streams | gc on | gc off | gc share |")
    print("|---|---|---|---|")
    for case in cases:
        if "tiny events" in case.name or "output items" in case.name or "reduce" in case.name:
            on, off = gc_share(case, args.scale, args.repeat)
            print(
                f"| {case.name} (8n) | {on * 1e3:.0f} ms | {off * 1e3:.0f} ms | "
                f"{(on - off) / on:.0%} |",
                flush=True,
            )
    print(f"\nworst growth ratio {worst:.2f}x (target ≤ {TARGET})")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
