"""``streamkit demo``: a stream streamkit generates, through the whole pipeline, offline."""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

import msgspec
from msgspec import UNSET

from streamkit import reduce
from streamkit.cli._commands import format_table
from streamkit.cli._common import EXIT_EPILOG, Pacer, Style, is_tty
from streamkit.cli._pipeline import Final, run, verdict_exit
from streamkit.events import (
    ChatCompletionChunk,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseOutputItemAddedEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseTextDeltaEvent,
)
from streamkit.events._decoder import Event
from streamkit.events.messages import (
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    InputJSONDelta,
    TextDelta,
    ThinkingDelta,
)
from streamkit.models import ChatCompletion, Completion, Message, Response, usage_summary
from streamkit.models.messages import TOOL_INPUT_BLOCKS, block_type
from streamkit.models.responses import FunctionToolCall
from streamkit.testing import DEMO_STREAMS, demo_stream

__all__ = ["DEMO_STREAM", "FIRST_TOKEN_SECONDS", "TOKENS_PER_SECOND", "add_demo", "measure"]

#: The stream the demo plays unless told otherwise.
DEMO_STREAM = "responses-text"
#: The live pace: a wait for the first token, then this many tokens a second
#: (about what a fast hosted model streams).
TOKENS_PER_SECOND = 70.0
FIRST_TOKEN_SECONDS = 0.4
#: How long the throughput measurement runs (at least three passes).
_MEASURE_SECONDS = 0.3


def add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit demo``."""
    names = "\n".join(f"  {name:<20} {text}" for name, text in DEMO_STREAMS.items())
    parser = sub.add_parser(
        "demo",
        help="play a generated stream through the whole pipeline (offline)",
        description="Play a stream streamkit generates (no network, no API key) through the\n"
        "whole pipeline: its text, reasoning summary and tool calls as they arrive\n"
        f"(live on a terminal: {TOKENS_PER_SECOND:g} tokens/s), then a summary of the final\n"
        "object, the events by type and the measured parse + fold throughput\n"
        "(measured separately, without the pacing).\n\n"
        f"streams (--stream NAME; the other commands read them as @NAME):\n{names}",
        epilog=EXIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--live",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pace the output like a live stream (default: when stdout is a terminal)",
    )
    parser.add_argument(
        "--stream",
        choices=list(DEMO_STREAMS),
        default=DEMO_STREAM,
        metavar="NAME",
        help=f"the stream to play (default: {DEMO_STREAM})",
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


class _Player:
    """Prints what a stream shows a user as its events arrive: reasoning summary
    (Messages: thinking), text, refusal and tool calls (Responses, Messages, or
    choice 0 of a Chat stream), each in its own paragraph, every piece paced like
    a live token when ``pacer`` is given."""

    def __init__(self, out: IO[str], style: Style, pacer: Pacer | None) -> None:
        self._out = out
        self._style = style
        self._pacer = pacer
        self._block: tuple[Any, ...] | None = None
        self._reasoning: set[int] = set()
        self._last = "\n"
        #: Whether any text was written.
        self.wrote = False

    def __call__(self, event: Event) -> None:
        """Show the piece of one event, if it has one."""
        if isinstance(event, ResponseTextDeltaEvent):
            self._show(("text", event.output_index, event.content_index), event.delta)
        elif isinstance(event, ResponseReasoningSummaryTextDeltaEvent):
            key = ("reasoning", event.output_index, event.summary_index)
            if event.output_index not in self._reasoning:
                self._reasoning.add(event.output_index)
                self._start(key, self._style.dim("(reasoning summary)") + "\n")
            self._show(key, event.delta, self._style.dim)
        elif isinstance(event, ResponseRefusalDeltaEvent):
            key = ("refusal", event.output_index, event.content_index)
            self._start(key, self._style.yellow("refusal: "))
            self._show(key, event.delta, self._style.yellow)
        elif isinstance(event, ResponseOutputItemAddedEvent):
            if isinstance(event.item, FunctionToolCall):
                self._start(("call", event.output_index), f"tool call: {event.item.name}(")
        elif isinstance(event, ResponseFunctionCallArgumentsDeltaEvent):
            self._show(("call", event.output_index), event.delta, self._style.dim)
        elif isinstance(event, ChatCompletionChunk):
            self._chat(event)
        elif isinstance(event, ContentBlockDeltaEvent):
            self._message_delta(event)
        elif isinstance(event, ContentBlockStartEvent) and isinstance(
            event.content_block, TOOL_INPUT_BLOCKS
        ):
            name = getattr(event.content_block, "name", "")
            self._start(("call", event.index), f"tool call: {name}(")

    def _message_delta(self, event: ContentBlockDeltaEvent) -> None:
        delta = event.delta
        if isinstance(delta, TextDelta):
            self._show(("text", event.index), delta.text)
        elif isinstance(delta, ThinkingDelta):
            key = ("thinking", event.index)
            self._start(key, self._style.dim("(thinking)") + "\n")
            self._show(key, delta.thinking, self._style.dim)
        elif isinstance(delta, InputJSONDelta):
            self._show(("call", event.index), delta.partial_json, self._style.dim)

    def _chat(self, chunk: ChatCompletionChunk) -> None:
        for choice in chunk.choices:
            delta = choice.delta
            if choice.index != 0 or delta is UNSET:
                continue
            if isinstance(delta.content, str):
                self._show(("text",), delta.content)
            if isinstance(delta.refusal, str):
                self._start(("refusal",), self._style.yellow("refusal: "))
                self._show(("refusal",), delta.refusal, self._style.yellow)
            for call in delta.tool_calls or ():
                function = call.function
                if not function:
                    continue
                if isinstance(function.name, str):
                    self._start(("call", call.index), f"tool call: {function.name}(")
                if isinstance(function.arguments, str):
                    self._show(("call", call.index), function.arguments, self._style.dim)

    def _start(self, key: tuple[Any, ...], head: str) -> None:
        """Begin the paragraph ``key`` with ``head`` (nothing when it has begun)."""
        if key == self._block:
            return
        calls = self._block is not None and self._block[0] == key[0] == "call"
        self._close()
        if self.wrote:
            # A blank line between paragraphs; tool calls go one to a line.
            self._write("\n" if calls or self._last.endswith("\n") else "\n\n")
        self._block = key
        self._write(head)

    def _show(self, key: tuple[Any, ...], piece: str, paint: Any = None) -> None:
        if not piece:
            return
        self._start(key, "")
        if self._pacer is not None:
            self._pacer.wait()
        self._write(paint(piece) if paint is not None else piece)
        self._last = piece
        self.wrote = True
        if self._pacer is not None:
            self._out.flush()

    def _close(self) -> None:
        if self._block is not None and self._block[0] == "call":
            self._write(")")
            self._last = ")"

    def _write(self, text: str) -> None:
        if text:
            self._out.write(text)

    def end(self) -> None:
        """Close the last paragraph and end the line."""
        self._close()
        self._block = None
        if self.wrote and not self._last.endswith("\n"):
            self._out.write("\n")
        self._out.flush()


def _demo(args: argparse.Namespace) -> int:
    out = sys.stdout
    style = Style(out)
    name: str = args.stream
    data = demo_stream(name)
    # A first pass, not timed: its event count goes into the header and the measurement.
    count = reduce(data).verdict.events

    out.write(
        style.dim(
            f"streamkit demo: @{name} ({DEMO_STREAMS[name]})\n"
            f"{len(data):,} bytes, {count:,} events, generated by streamkit.testing "
            "(no network)"
        )
        + "\n\n"
    )
    out.flush()
    live = is_tty(out) if args.live is None else args.live
    pacer = None
    if live:
        time.sleep(FIRST_TOKEN_SECONDS)
        pacer = Pacer(TOKENS_PER_SECOND)
    player = _Player(out, style, pacer)
    outcome = run([data], on_event=player)
    player.end()
    if not player.wrote:
        out.write(style.dim("(no text: see the output items below)") + "\n")

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
    if verdict.reason:
        shown += f" ({verdict.reason})"
    if verdict.error is not None:
        shown += f": {verdict.error.describe()}"
    rows = [("id", result.id or "-"), ("model", str(result.model or "-"))]
    if isinstance(result, Response):
        rows.append(("status", f"{result.status} (verdict: {shown})"))
        output = result.output if isinstance(result.output, list) else []
        items = [_item(item) for item in output]
        rows.append(("output", f"{len(items)} item{'s' if len(items) != 1 else ''}"))
        rows.extend((f"  [{i}]", text) for i, text in enumerate(items))
    elif isinstance(result, Message):
        rows.append(("stop reason", f"{result.stop_reason} (verdict: {shown})"))
        blocks = [_block(block) for block in result.content]
        rows.append(("content", f"{len(blocks)} block{'s' if len(blocks) != 1 else ''}"))
        rows.extend((f"  [{i}]", text) for i, text in enumerate(blocks))
    else:
        rows.append(("verdict", shown))
        rows.extend(_choices(result))
    usage = _usage(result)
    if usage is not None:
        rows.append(("usage", usage))
    return rows


def _usage(result: Final) -> str | None:
    """``1,843 input (1,536 cached) + 412 output (256 reasoning) = 2,255 tokens``;
    a detail the server did not send is left out."""
    usage = usage_summary(result)
    if usage is None:
        return None
    given, produced, total = usage.input_tokens, usage.output_tokens, usage.total_tokens
    if given is None or produced is None or total is None:
        return None
    text = f"{given:,} input"
    if usage.cached_tokens is not None:
        written = usage.cache_write_tokens
        text += f" ({usage.cached_tokens:,} cached"
        text += f", {written:,} written to the cache)" if written else ")"
    text += f" + {produced:,} output"
    if usage.reasoning_tokens is not None:
        text += f" ({usage.reasoning_tokens:,} reasoning)"
    return text + f" = {total:,} tokens"


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
        refusals = [getattr(part, "refusal", None) for part in item.content]
        refusal = "".join(r for r in refusals if isinstance(r, str))
        if refusal:
            return f"message: refusal {_excerpt(refusal)!r}"
        texts = [getattr(part, "text", "") for part in item.content]
        text = "".join(t for t in texts if isinstance(t, str))
        return f"message: {len(text):,} chars of text, {_excerpt(text)!r}"
    if kind == "function_call":
        return f"function_call {item.name}({_excerpt(item.arguments, 50)})"
    if kind == "reasoning":
        summary = item.summary if isinstance(item.summary, list) else []
        encrypted = getattr(item, "encrypted_content", None)
        extra = ", encrypted content" if isinstance(encrypted, str) and encrypted else ""
        shown = f"reasoning: {len(summary)} summary part{'s' if len(summary) != 1 else ''}{extra}"
        if summary:
            shown += f", {_excerpt(summary[0].text, 40)!r}"
        return shown
    return kind


def _block(block: Any) -> str:
    kind = block_type(block)
    if kind == "text":
        return f"text: {len(block.text):,} chars, {_excerpt(block.text)!r}"
    if kind == "thinking":
        signed = ", signed" if block.signature else ""
        return f"thinking: {len(block.thinking):,} chars{signed}, {_excerpt(block.thinking, 40)!r}"
    if isinstance(block, TOOL_INPUT_BLOCKS):
        arguments = msgspec.json.encode(block.input).decode()  # type: ignore[attr-defined]
        return f"{kind} {block.name}({_excerpt(arguments, 50)})"  # type: ignore[attr-defined]
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
        refusal = getattr(message, "refusal", None)
        if isinstance(refusal, str) and refusal:
            parts.append(f"refusal {_excerpt(refusal)!r}")
        calls = message.tool_calls if isinstance(message.tool_calls, list) else []
        parts.extend(
            f"tool call {c.function.name}({_excerpt(c.function.arguments, 40)})" for c in calls
        )
        rows.append((f"choice {choice.index}", f"{finish}: " + "; ".join(parts)))
    return rows
