"""``streamkit demo``: a bundled real recording through the whole pipeline, offline."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from .. import reduce
from ..data import RECORDINGS, recording, recordings
from ..models import ChatCompletion, Completion, Response
from ._commands import TextPrinter, format_table
from ._common import EXIT_EPILOG, Pacer, Style
from ._pipeline import Final, error_text, run, usage_numbers, verdict_exit

__all__ = ["DEMO_RECORDING", "DEMO_SECONDS", "add_demo", "measure"]

#: The recording the demo replays unless told otherwise.
DEMO_RECORDING = "responses-text"
#: How long the live replay of the text takes, whatever the recording's length.
DEMO_SECONDS = 2.0
#: How long the throughput measurement runs (at least three passes).
_MEASURE_SECONDS = 0.3


def add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit demo``."""
    parser = sub.add_parser(
        "demo",
        help="replay a bundled real recording through the whole pipeline (offline)",
        description="Replay a real recorded stream bundled with streamkit, without network:\n"
        f"print its text live (in about {DEMO_SECONDS:g} s), then a summary of the final\n"
        "object, the events by type and the measured parse + fold throughput (measured\n"
        "separately, without the pacing).",
        epilog=EXIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--no-live", action="store_true", help="print the text at once instead of pacing it"
    )
    parser.add_argument(
        "--recording",
        choices=recordings(),
        default=DEMO_RECORDING,
        help=f"the bundled recording to replay (default: {DEMO_RECORDING})",
    )
    parser.set_defaults(run=_demo)


def measure(
    data: bytes, events: int, seconds: float = _MEASURE_SECONDS
) -> tuple[float, float, int]:
    """Time ``streamkit.reduce`` (bytes → frames → typed events → final object) on
    ``data`` (of ``events`` events) over and over for about ``seconds``; return
    (bytes/s, events/s, passes)."""
    passes = 0
    start = time.perf_counter()
    elapsed = 0.0
    while passes < 3 or elapsed < seconds:
        reduce(data)
        passes += 1
        elapsed = time.perf_counter() - start
    return len(data) * passes / elapsed, events * passes / elapsed, passes


def _demo(args: argparse.Namespace) -> int:
    out = sys.stdout
    style = Style(out)
    name: str = args.recording
    data = recording(name)
    # A first pass, not timed: its event count sets the pace and the measurement's.
    verdict = reduce(data).verdict
    count = verdict.events if verdict is not None else 0

    out.write(
        style.dim(
            f"streamkit demo: replaying {RECORDINGS[name]} ({len(data):,} bytes), "
            "a real recorded stream bundled with streamkit\n"
        )
        + "\n"
    )
    out.flush()
    pacer = None
    if not args.no_live:
        pacer = Pacer(max(count / DEMO_SECONDS, 1.0))
    printer = TextPrinter(out, pacer=pacer)
    outcome = run([data], on_event=printer)
    printer.end()
    if not printer.wrote:
        out.write(style.dim("(no output text: see the output items below)") + "\n")

    out.write("\n" + style.bold("Final object") + "\n")
    rows = _summary(outcome.result, outcome.status, style)
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        out.write(f"  {key.ljust(width)}  {value}\n")

    out.write("\n" + style.bold("Events by type") + "\n")
    ordered = sorted(outcome.counts.items(), key=lambda kv: (-kv[1], kv[0]))
    table = format_table(
        ["TYPE", "COUNT"],
        [[t, f"{n:,}"] for t, n in ordered] + [["total", f"{outcome.events:,}"]],
        right={1},
        style=style,
    )
    out.write("".join(f"  {line}\n" for line in table.splitlines()))

    out.flush()
    byte_rate, event_rate, passes = measure(data, count)
    out.write("\n" + style.bold("Throughput") + " (parse + fold, without the pacing)\n")
    out.write(
        f"  {byte_rate / 1e6:,.1f} MB/s, {event_rate:,.0f} events/s "
        f"(streamkit.reduce, {passes} passes over {len(data):,} bytes)\n"
    )
    out.flush()
    return verdict_exit(outcome)


def _summary(result: Final, status: str, style: Style) -> list[tuple[str, str]]:
    verdict = result.verdict
    shown = style.status(status)
    if verdict is not None and verdict.reason:
        shown += f" ({verdict.reason})"
    if verdict is not None and verdict.error is not None:
        shown += f": {error_text(verdict.error)}"
    rows = [("id", result.id or "-"), ("model", str(result.model or "-"))]
    if isinstance(result, Response):
        rows.append(("status", f"{result.status} (verdict: {shown})"))
        output = result.output if isinstance(result.output, list) else []
        items = [_item(item) for item in output]
        rows.append(("output", f"{len(items)} item{'s' if len(items) != 1 else ''}"))
        rows.extend((f"  [{i}]", text) for i, text in enumerate(items))
    else:
        rows.append(("verdict", shown))
        rows.extend(_choices(result))
    usage = usage_numbers(result)
    if usage is not None:
        rows.append(
            (
                "usage",
                f"{usage['input']:,} input + {usage['output']:,} output "
                f"= {usage['total']:,} tokens",
            )
        )
    return rows


def _item_type(item: Any) -> str:
    kind = getattr(item, "type", None)
    if isinstance(kind, str):
        return kind
    tag = getattr(type(item).__struct_config__, "tag", None)
    return tag if isinstance(tag, str) else type(item).__name__


def _excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _item(item: Any) -> str:
    kind = _item_type(item)
    if kind == "message":
        texts = [getattr(part, "text", "") for part in item.content]
        text = "".join(t for t in texts if isinstance(t, str))
        return f"message: {len(text):,} chars of text, {_excerpt(text)!r}"
    if kind == "function_call":
        return f"function_call {item.name}({_excerpt(item.arguments, 50)})"
    if kind == "reasoning":
        summary = item.summary if isinstance(item.summary, list) else []
        encrypted = getattr(item, "encrypted_content", None)
        extra = ", encrypted content" if isinstance(encrypted, str) and encrypted else ""
        return f"reasoning: {len(summary)} summary part{'s' if len(summary) != 1 else ''}{extra}"
    return kind


def _choices(result: ChatCompletion | Completion) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for choice in result.choices:
        finish = choice.finish_reason
        if isinstance(result, Completion):
            text = choice.text  # type: ignore[union-attr]
            rows.append((f"choice {choice.index}", f"{finish}: {_excerpt(text)!r}"))
            continue
        message: Any = choice.message  # type: ignore[union-attr]
        parts = []
        if isinstance(message.content, str):
            parts.append(f"{len(message.content):,} chars of text, {_excerpt(message.content)!r}")
        calls = message.tool_calls if isinstance(message.tool_calls, list) else []
        parts.extend(
            f"tool call {c.function.name}({_excerpt(c.function.arguments, 40)})" for c in calls
        )
        rows.append((f"choice {choice.index}", f"{finish}: " + "; ".join(parts)))
    return rows
