"""The stream commands: ``frames``, ``events``, ``reduce``, ``text`` and ``stats``.

Each command is a ``add_<name>(subparsers)`` function that declares its parser and
sets ``run`` to the function that carries it out and returns the exit code.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import IO, Any

import msgspec

from streamkit.cli._common import (
    EXIT_API_ERROR,
    EXIT_HINT,
    EXIT_OK,
    EXIT_STREAM_ERROR,
    EXIT_TRUNCATED,
    EXIT_USAGE,
    Pacer,
    Style,
    UsageError,
    add_api_option,
    error,
    error_exit,
    flush_stdout,
    is_tty,
    note,
    open_input,
    write_bytes,
)
from streamkit.cli._messages import describe
from streamkit.cli._pipeline import ERROR_EVENTS, Outcome, event_type, run, verdict_exit
from streamkit.errors import NotEventStreamError, StreamError
from streamkit.events import (
    RESPONSE_EVENT_TYPES,
    ChatCompletionChunk,
    CompletionChunk,
    Done,
    StreamErrorEvent,
    UnknownEvent,
)
from streamkit.events._decoder import Event
from streamkit.events._encoder import _restore_unknown_blocks
from streamkit.events._names import class_type_name
from streamkit.events._raw import raw_payload
from streamkit.events.chat import ChoiceDelta, content_parts_text
from streamkit.events.messages import (
    MESSAGE_EVENT_CLASSES,
    MESSAGE_EVENT_TYPES,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    TextDelta,
    ThinkingDelta,
)
from streamkit.events.responses import ResponseTextDeltaEvent, ResponseTextDoneEvent
from streamkit.io import iter_events, iter_frames
from streamkit.models import Message, UnknownBlock, UsageSummary, usage_summary
from streamkit.sse._decoder import SSEDecoder, SSEFrame

__all__ = [
    "DEFAULT_RATE",
    "EVENT_TYPES",
    "TextPrinter",
    "add_events",
    "add_frames",
    "add_reduce",
    "add_stats",
    "add_text",
    "format_table",
    "parse_types",
    "stats_record",
]

#: Default pace of ``text --live``, in events per second (about the token rate of a
#: fast chat model, as most events of a text stream carry one token).
DEFAULT_RATE = 60.0

#: Integrity findings printed on stderr by ``reduce`` and ``text``; a badly broken
#: stream can have one per event, which would bury everything else.
_MAX_WARNINGS = 5

_FILE_HELP = (
    "a recorded stream (.sse file), @NAME for a built-in demo stream (@chat-text, ...), "
    "or - for standard input"
)


def _add(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=EXIT_HINT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


# --------------------------------------------------------------------------- #
# frames
# --------------------------------------------------------------------------- #


def add_frames(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit frames``."""
    parser = _add(
        sub,
        "frames",
        "print the SSE frames of a stream, one JSON object per line",
        "Print the Server-Sent Events frames of a stream, one JSON object per line:\n"
        '{"index", "event", "data"} plus "id" and "retry" when set. Exits 5 when the\n'
        "bytes end inside an event (the spec drops that event).",
    )
    parser.add_argument("file", metavar="FILE", help=_FILE_HELP)
    parser.set_defaults(run=_frames)


def _frame_json(index: int, frame: SSEFrame, encoder: msgspec.json.Encoder) -> str:
    # The same compact JSON as ``events`` (msgspec: no spaces, UTF-8 unescaped).
    record: dict[str, object] = {"index": index, "event": frame.event, "data": frame.text}
    if frame.id:
        record["id"] = frame.id
    if frame.retry is not None:
        record["retry"] = frame.retry
    return encoder.encode(record).decode("utf-8")


def _frames(args: argparse.Namespace) -> int:
    source = open_input(args.file)
    decoder = SSEDecoder()
    out = sys.stdout
    encoder = msgspec.json.Encoder()
    chunks = source.chunks(progress=not is_tty(out), before_read=out.flush)
    try:
        for i, frame in enumerate(iter_frames(chunks, decoder=decoder)):
            out.write(_frame_json(i, frame, encoder) + "\n")
    except StreamError as exc:
        error(describe(exc))
        return EXIT_STREAM_ERROR
    finally:
        chunks.close()
    if decoder.truncated:
        note("stream truncated: the bytes ended inside an event")
        return EXIT_TRUNCATED
    return EXIT_OK


# --------------------------------------------------------------------------- #
# events
# --------------------------------------------------------------------------- #


def add_events(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit events``."""
    parser = _add(
        sub,
        "events",
        "print the typed events of a stream, one JSON object per line",
        "Print the typed events of a stream, one JSON object per line: each event as\n"
        "streamkit decoded it (fields it does not know are left out; with --lossless\n"
        "kept: each event as the server sent it). An event of an unknown type is\n"
        'printed as its raw payload, and "data: [DONE]" as {"type":"[DONE]"}. Error\n'
        "events are printed like the others; the command then exits 4.",
    )
    parser.add_argument("file", metavar="FILE", help=_FILE_HELP)
    parser.add_argument(
        "--types",
        metavar="TYPE,...",
        help="print only these event types (comma-separated): Responses types such as "
        "response.output_text.delta, Messages types such as content_block_delta, or "
        "chat.completion.chunk, text_completion, error, [DONE]",
    )
    parser.add_argument(
        "--lossless",
        action="store_true",
        help="keep the fields streamkit does not declare: print each event's payload "
        "as the server sent it",
    )
    add_api_option(parser)
    parser.set_defaults(run=_events)


_DONE_LINE = b'{"type":"[DONE]"}\n'

#: The names ``--types`` accepts: every Responses event type, every Messages
#: event type, then the other streams' (as ``streamkit.events.event_type`` names
#: them; ``error`` is in several).
EVENT_TYPES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *sorted(RESPONSE_EVENT_TYPES),
            *sorted(MESSAGE_EVENT_TYPES),
            *(
                class_type_name(c)
                for c in (ChatCompletionChunk, CompletionChunk, StreamErrorEvent, Done)
            ),
        ]
    )
)


def parse_types(text: str) -> set[str]:
    """The event types of a ``--types`` value (comma-separated names).

    Raises ``UsageError`` naming each unknown name (with the closest known one)
    and listing the known names: a misspelt type would otherwise match nothing
    and print nothing, successfully.
    """
    types = {t.strip() for t in text.split(",") if t.strip()}
    if not types:
        raise UsageError("--types needs at least one event type")
    unknown = sorted(types.difference(EVENT_TYPES))
    if unknown:
        named = []
        for name in unknown:
            close = difflib.get_close_matches(name, EVENT_TYPES, n=1)
            named.append(f"{name} (did you mean {close[0]}?)" if close else name)
        raise UsageError(
            f"--types: unknown event type{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(named)}; the event types are: {', '.join(EVENT_TYPES)}"
        )
    return types


def _event_line(event: Event, encoder: msgspec.json.Encoder) -> bytes:
    raw = event.raw if isinstance(event, UnknownEvent) else raw_payload(event)
    if raw is not None:
        # A payload sent on several data lines keeps its line breaks: re-encode it
        # compactly so every event stays on one line.
        if b"\n" in raw or b"\r" in raw:
            raw = msgspec.json.format(raw, indent=0)
        return raw + b"\n"
    if isinstance(event, Done):
        return _DONE_LINE
    if event.__class__ in _MESSAGE_CLASSES:
        # Blocks and deltas of unknown kinds as the server sent them.
        event = _restore_unknown_blocks(event)
    return encoder.encode(event) + b"\n"


_MESSAGE_CLASSES = frozenset(MESSAGE_EVENT_CLASSES.values())


def printable(result: Any) -> Any:
    """A final object as the commands print it: a Messages content block of an
    unknown kind as the JSON the server sent (not streamkit's stand-in)."""
    if isinstance(result, Message) and any(isinstance(b, UnknownBlock) for b in result.content):
        content = [b.raw if isinstance(b, UnknownBlock) else b for b in result.content]
        return msgspec.structs.replace(result, content=content)
    return result


def _events(args: argparse.Namespace) -> int:
    types = parse_types(args.types) if args.types is not None else None
    source = open_input(args.file)
    encoder = msgspec.json.Encoder()
    pending: list[bytes] = []

    def drain() -> None:
        # Called before every read: what the bytes so far produced goes out first.
        if pending:
            write_bytes(b"".join(pending))
            pending.clear()
        flush_stdout()

    chunks = source.chunks(progress=not is_tty(sys.stdout), before_read=drain)
    saw_error = False
    try:
        for event in iter_events(chunks, args.api, errors="yield", lossless=args.lossless):
            if isinstance(event, ERROR_EVENTS):
                saw_error = True
            if types is None or event_type(event) in types:
                pending.append(_event_line(event, encoder))
    except StreamError as exc:
        drain()
        error(describe(exc))
        return error_exit(exc)
    finally:
        chunks.close()
    drain()
    return EXIT_API_ERROR if saw_error else EXIT_OK


# --------------------------------------------------------------------------- #
# reduce
# --------------------------------------------------------------------------- #


def add_reduce(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit reduce``."""
    parser = _add(
        sub,
        "reduce",
        "fold a stream into its final object and print it as JSON",
        "Fold a stream into its final object (Response, ChatCompletion, Completion or\n"
        "Message)\n"
        "and print it as one line of JSON. The exit code tells how the stream ended;\n"
        "the object is printed in every case (after a stream error: the object reduced\n"
        "before it), with a note on stderr when the stream did not complete.",
    )
    parser.add_argument("file", metavar="FILE", help=_FILE_HELP)
    parser.add_argument(
        "--verify",
        action="store_true",
        help="compare the fold with the server's final values (Responses) and list every "
        "divergence on stderr; exit 6 when there is one",
    )
    add_api_option(parser)
    parser.set_defaults(run=_reduce)


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _report(outcome: Outcome, *, verify: bool) -> int:
    """Report the end of a fold on stderr and return the exit code."""
    for issue in outcome.integrity[:_MAX_WARNINGS]:
        note(f"warning: {issue}")
    if len(outcome.integrity) > _MAX_WARNINGS:
        more = len(outcome.integrity) - _MAX_WARNINGS
        note(f"warning: {more} more integrity findings (streamkit stats --json lists them all)")
    if outcome.error is not None:
        error(describe(outcome.error))
        return error_exit(outcome.error)
    if verify:
        if outcome.api != "responses":
            note(f"--verify compares Responses streams only; this is a {outcome.api} stream")
        for d in outcome.divergences:
            error(f"divergence at {d.path}: fold {_short(d.fold)} != server {_short(d.server)}")
    if outcome.status != "completed":
        note(outcome.result.verdict.describe())
    return verdict_exit(outcome, verify=verify)


def _reduce(args: argparse.Namespace) -> int:
    source = open_input(args.file)
    chunks = source.chunks()
    try:
        outcome = run(chunks, args.api, verify=args.verify)
    finally:
        chunks.close()
    if not isinstance(outcome.error, NotEventStreamError):  # else there is no object
        write_bytes(msgspec.json.encode(printable(outcome.result)) + b"\n")
        flush_stdout()
    return _report(outcome, verify=args.verify)


# --------------------------------------------------------------------------- #
# text
# --------------------------------------------------------------------------- #


def add_text(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit text``."""
    parser = _add(
        sub,
        "text",
        "print the output text of a stream as it streams",
        "Print the output text as it streams: the Responses output_text deltas, the\n"
        "content deltas of one Chat choice, the text of one Completions choice, or the\n"
        "Messages text deltas, followed by a newline. Messages thinking and the reasoning\n"
        "of a Chat choice (reasoning_content, reasoning, reasoning_details, Mistral's\n"
        "thinking parts) are shown too, under a '(thinking)' line and dimmed on a\n"
        "terminal. The exit code tells how the stream ended.\n"
        "With --live the events are replayed at --rate events per second (recordings\n"
        "carry no timestamps), each piece of text written and flushed as it comes.",
    )
    parser.add_argument("file", metavar="FILE", help=_FILE_HELP)
    parser.add_argument(
        "--live",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="replay the stream paced at --rate events/s (default: --no-live)",
    )
    parser.add_argument(
        "--rate",
        type=_positive_rate,
        default=DEFAULT_RATE,
        metavar="N",
        help=f"events per second with --live (default: {DEFAULT_RATE:g})",
    )
    parser.add_argument(
        "--choice",
        type=_choice_index,
        default=0,
        metavar="N",
        help="Chat / Completions: the index of the choice to print (default: 0); "
        "an index the stream does not have is a usage error",
    )
    add_api_option(parser)
    parser.set_defaults(run=_text)


def _choice_index(text: str) -> int:
    try:
        index = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a choice index: {text!r}") from None
    if index < 0:
        raise argparse.ArgumentTypeError(f"a choice index is 0 or more, not {index}")
    return index


def _positive_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not rate > 0 or rate == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of events/s: {text!r}")
    return rate


class TextPrinter:
    """Writes the output text of a stream as its events arrive.

    Prints what ``streamkit.TextReducer`` collects: Responses ``output_text`` deltas
    (and, when a ``.done`` event carries more than its deltas did, the rest), the
    content of one Chat / Completions choice, or the Messages text blocks. A
    Messages thinking block, and the reasoning of a Chat choice (whichever of
    ``reasoning_content``, ``reasoning``, ``reasoning_details`` and Mistral's
    ``thinking`` content parts carries it), is shown too, set apart: a
    ``(thinking)`` line, its text, then a blank line, all dimmed by ``style`` (as
    ``streamkit demo`` shows a reasoning summary). With a ``Pacer`` every event
    waits its turn and every write is flushed.
    """

    __slots__ = (
        "_block",
        "_choice",
        "_last",
        "_out",
        "_pacer",
        "_printed",
        "_style",
        "choices",
        "wrote",
    )

    def __init__(
        self,
        out: IO[str],
        *,
        choice: int = 0,
        pacer: Pacer | None = None,
        style: Style | None = None,
    ) -> None:
        self._out = out
        self._choice = choice
        self._pacer = pacer
        self._style = style or Style(out)
        # The kind of the Messages block written last ("text", "thinking").
        self._block: str | None = None
        # (output_index, content_index) -> the pieces printed for that part.
        self._printed: dict[tuple[int, int], list[str]] = {}
        self._last = ""
        #: Whether any text was written.
        self.wrote = False
        #: The choice indices the Chat / Completions chunks carried.
        self.choices: set[int] = set()

    def __call__(self, event: Event) -> None:
        """Print the text of one event (after waiting for its turn, when paced)."""
        if self._pacer is not None:
            self._pacer.wait()
        if self._choice and isinstance(event, ResponseTextDeltaEvent | ResponseTextDoneEvent):
            return  # a Responses stream has choice 0 only
        if isinstance(event, ResponseTextDeltaEvent):
            key = (event.output_index, event.content_index)
            self._printed.setdefault(key, []).append(event.delta)
            self._write(event.delta)
        elif isinstance(event, ResponseTextDoneEvent):
            pieces = self._printed.setdefault((event.output_index, event.content_index), [])
            so_far = "".join(pieces)
            if len(event.text) > len(so_far) and event.text.startswith(so_far):
                pieces.append(event.text[len(so_far) :])
                self._write(pieces[-1])
        elif isinstance(event, ChatCompletionChunk):
            for choice in event.choices:
                self.choices.add(choice.index)
                if choice.index == self._choice and choice.delta:
                    self._chat_delta(choice.delta)
        elif isinstance(event, CompletionChunk):
            for completion in event.choices:
                self.choices.add(completion.index)
                if completion.index == self._choice and isinstance(completion.text, str):
                    self._write(completion.text)
        elif isinstance(event, ContentBlockDeltaEvent):
            delta = event.delta
            if isinstance(delta, TextDelta):
                self._enter("text")
                self._write(delta.text)
            elif isinstance(delta, ThinkingDelta):
                self._enter("thinking")
                self._write(delta.thinking, self._style.dim)
        elif isinstance(event, ContentBlockStartEvent):
            text = getattr(event.content_block, "text", None)  # text sent with the start
            if isinstance(text, str) and text:
                self._enter("text")
                self._write(text)

    def _chat_delta(self, delta: ChoiceDelta) -> None:
        """Print what a Chat delta adds: its reasoning, then its text (Mistral's
        list of parts in order, thinking and text alike)."""
        self._thinking(_chat_reasoning(delta))
        content = delta.content
        if isinstance(content, str):
            if content:
                self._enter("text")
                self._write(content)
        elif isinstance(content, list):
            for part in content:
                text, thinking = content_parts_text([part])
                self._thinking(thinking)
                if text:
                    self._enter("text")
                    self._write(text)

    def _thinking(self, text: str) -> None:
        if text:
            self._enter("thinking")
            self._write(text, self._style.dim)

    def _enter(self, kind: str) -> None:
        """Set a thinking block apart from the text around it."""
        if kind == self._block:
            return
        if self._block == "thinking":
            self._write("\n" if self._last.endswith("\n") else "\n\n", mark=False)
        elif kind == "thinking":
            if self.wrote:
                self._write("\n" if self._last.endswith("\n") else "\n\n", mark=False)
            self._write(self._style.dim("(thinking)") + "\n", mark=False)
        self._block = kind

    def _write(self, text: str, paint: Any = None, *, mark: bool = True) -> None:
        """Write ``text`` (``paint``: a ``Style`` method); ``mark=False`` for the
        separators around a thinking block, which are not text of the stream."""
        if not text:
            return
        self._out.write(paint(text) if paint is not None else text)
        self._last = text
        if mark:
            self.wrote = True
        if self._pacer is not None:
            self._out.flush()

    def end(self) -> None:
        """End the text with a newline (unless it ended with one)."""
        if self.wrote and not self._last.endswith("\n"):
            self._out.write("\n")
        self._out.flush()


def _chat_reasoning(delta: ChoiceDelta) -> str:
    """The reasoning a Chat delta carries, from the first provider field that has
    some: ``reasoning_content``, ``reasoning``, else the text and summary pieces of
    ``reasoning_details`` (OpenRouter sends the same text in ``reasoning`` and
    ``reasoning_details``; encrypted entries have none)."""
    for value in (delta.reasoning_content, delta.reasoning):
        if isinstance(value, str) and value:
            return value
    details = delta.reasoning_details
    if not details:
        return ""
    return "".join(
        piece for d in details for piece in (d.text, d.summary) if isinstance(piece, str)
    )


def _text(args: argparse.Namespace) -> int:
    source = open_input(args.file)
    out = sys.stdout
    printer = TextPrinter(
        out, choice=args.choice, pacer=Pacer(args.rate) if args.live else None, style=Style(out)
    )
    chunks = source.chunks(progress=not is_tty(out), before_read=out.flush)
    try:
        outcome = run(chunks, args.api, on_event=printer)
    finally:
        chunks.close()
    printer.end()
    if outcome.error is None:
        _check_choice(args.choice, outcome.api, printer.choices)
    return _report(outcome, verify=False)


def _check_choice(choice: int, api: str, seen: set[int]) -> None:
    """Raise ``UsageError`` when ``--choice`` names a choice the stream does not
    have (it printed nothing): a Responses stream has one output, a Chat or
    Completions stream the choices its chunks carried. A stream without any
    choice (an error payload alone) has nothing to check against."""
    if api in ("responses", "messages"):
        if choice != 0:
            name = "Responses" if api == "responses" else "Messages"
            raise UsageError(
                f"--choice {choice}: a {name} stream has only choice 0 "
                "(--choice picks among the choices of a Chat or Completions stream)"
            )
        return
    if seen and choice not in seen:
        raise UsageError(f"--choice {choice}: this stream has choices {_spans(sorted(seen))}")


def _spans(numbers: list[int]) -> str:
    """``0-3, 5, 7-8`` for [0, 1, 2, 3, 5, 7, 8] (sorted, distinct)."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


# --------------------------------------------------------------------------- #
# stats
# --------------------------------------------------------------------------- #


def add_stats(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit stats``."""
    parser = _add(
        sub,
        "stats",
        "summarize streams: API, events by type, bytes, verdict, usage, integrity",
        "Summarize each stream: its API, size, events (and events by type), verdict,\n"
        "token usage (Messages: IN counts cache reads and writes, which --json lists)\n"
        "and integrity findings (Responses: gaps, duplicates and reorderings of\n"
        "sequence_number; Chat/Completions/Messages: impossible indices).\n"
        "Prints aligned tables (also when stdout is not a terminal; colour only on a\n"
        "terminal) or, with --json, one JSON array with an object per stream.\n"
        "Exits 0 when every stream was read, whatever the verdicts; 1 when a stream\n"
        "could not be decoded (7 when it is not an event stream at all); 2 when a file\n"
        "could not be opened (the others are still summarized).",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help=_FILE_HELP)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_api_option(parser)
    parser.set_defaults(run=_stats)


def stats_record(name: str, outcome: Outcome) -> dict[str, Any]:
    """The ``stats --json`` object of one stream."""
    verdict = outcome.result.verdict
    usage: Any = outcome.result.usage
    return {
        "file": name,
        "api": outcome.api,
        "bytes": outcome.bytes,
        "events": outcome.events,
        "events_by_type": outcome.counts,
        "verdict": {
            "status": verdict.status,
            "reason": verdict.reason,
            "error": verdict.error.describe() if verdict.error is not None else None,
            "last_sequence_number": verdict.last_sequence_number,
        },
        "usage": None if usage is None or usage is msgspec.UNSET else msgspec.to_builtins(usage),
        "integrity": outcome.integrity,
        "sequence_issues": outcome.sequence_issues,
        "error": describe(outcome.error) if outcome.error else None,
    }


def _stats(args: argparse.Namespace) -> int:
    records: list[dict[str, Any]] = []
    usages: list[UsageSummary | None] = []
    code = EXIT_OK
    for name in args.files:
        try:
            source = open_input(name)
        except UsageError as exc:
            error(str(exc))
            code = EXIT_USAGE
            continue
        chunks = source.chunks(progress=True)
        try:
            outcome = run(chunks, args.api)
        finally:
            chunks.close()
        if outcome.error is not None:
            error(f"{source.name}: {describe(outcome.error)}")
            if code == EXIT_OK:
                code = error_exit(outcome.error)
        records.append(stats_record(source.name, outcome))
        usages.append(usage_summary(outcome.result))
    if args.json:
        write_bytes(msgspec.json.format(msgspec.json.encode(records), indent=2) + b"\n")
    elif records:
        sys.stdout.write(_stats_tables(records, usages, Style(sys.stdout)))
    return code


def _integrity_summary(record: dict[str, Any]) -> str:
    issues = record["sequence_issues"]
    if issues:
        kinds: dict[str, int] = {}
        for issue in issues:
            kinds[issue["kind"]] = kinds.get(issue["kind"], 0) + 1
        return ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in kinds.items())
    n = len(record["integrity"])
    return f"{n} issue{'s' if n > 1 else ''}" if n else "ok"


def _stats_tables(
    records: list[dict[str, Any]], usages: list[UsageSummary | None], style: Style
) -> str:
    header = ["FILE", "API", "BYTES", "EVENTS", "VERDICT", "IN", "OUT", "TOTAL", "INTEGRITY"]
    rows: list[list[str]] = []
    for r, usage in zip(records, usages, strict=True):
        status = "error" if r["error"] else r["verdict"]["status"]
        rows.append(
            [
                r["file"],
                r["api"],
                f"{r['bytes']:,}",
                f"{r['events']:,}",
                status,
                *_usage_cells(usage),
                _integrity_summary(r),
            ]
        )
    right = {2, 3, 5, 6, 7}
    paint = {4: style.status}
    parts = [format_table(header, rows, right=right, paint=paint, style=style)]
    type_rows: list[list[str]] = []
    for r in records:
        ordered = sorted(r["events_by_type"].items(), key=lambda kv: (-kv[1], kv[0]))
        for i, (name, count) in enumerate(ordered):
            type_rows.append([r["file"] if i == 0 else "", name, f"{count:,}"])
    if type_rows:
        parts.append(
            format_table(["FILE", "EVENT TYPE", "COUNT"], type_rows, right={2}, style=style)
        )
    return "\n".join(parts)


def _usage_cells(usage: UsageSummary | None) -> list[str]:
    """The IN, OUT and TOTAL cells of a stream ("-" without all three counts)."""
    counts = [usage.input_tokens, usage.output_tokens, usage.total_tokens] if usage else [None]
    return ["-"] * 3 if None in counts else [f"{n:,}" for n in counts]


def format_table(
    header: list[str],
    rows: list[list[str]],
    *,
    right: set[int] | frozenset[int] = frozenset(),
    paint: dict[int, Any] | None = None,
    style: Style,
) -> str:
    """An aligned text table: columns padded to their widest cell (``right``: the
    right-aligned columns); colour (``paint``: column -> function) is applied after
    padding so escape codes never disturb the alignment."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    paint = paint or {}

    def line(cells: list[str], head: bool) -> str:
        out = []
        for i, cell in enumerate(cells):
            padded = cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            if head:
                padded = style.bold(padded)
            elif i in paint:
                padded = padded.replace(cell, paint[i](cell), 1) if cell else padded
            out.append(padded)
        return "  ".join(out).rstrip() + "\n"

    return line(header, True) + "".join(line(row, False) for row in rows)
