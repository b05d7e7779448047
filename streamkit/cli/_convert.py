"""``streamkit convert``: a stream of one API written as SSE of another."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from streamkit.cli._common import (
    EXIT_API_ERROR,
    EXIT_HINT,
    EXIT_INCOMPLETE,
    EXIT_NOT_EVENT_STREAM,
    EXIT_OK,
    EXIT_STREAM_ERROR,
    EXIT_TRUNCATED,
    flush_stdout,
    is_tty,
    note,
    open_input,
    write_bytes,
)
from streamkit.cli._messages import describe
from streamkit.errors import NotEventStreamError, StreamError

__all__ = ["add_convert"]


def add_convert(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit convert``."""
    parser = sub.add_parser(
        "convert",
        help="convert a stream to another API (Responses, Chat, Messages) as SSE",
        description=(
            "Convert a Responses, Chat Completions or Anthropic Messages stream into\n"
            "the stream the target API's server would send for the same content, and\n"
            "write it as SSE to standard output, event by event. What the target cannot\n"
            "carry is listed on stderr. The exit code tells how the source stream ended."
        ),
        epilog=EXIT_HINT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", metavar="FILE", help="a recorded stream, - for standard input, or @NAME"
    )
    parser.add_argument(
        "--to",
        required=True,
        choices=("responses", "chat", "messages"),
        help="the target API",
    )
    parser.add_argument(
        "--api",
        choices=("auto", "responses", "chat", "messages"),
        default="auto",
        help="the source stream's API (default: auto, detected from the first payload)",
    )
    parser.set_defaults(run=_convert)


def _convert(args: argparse.Namespace) -> int:
    # Imported here: ``streamkit --help`` need not load the converters.
    import sys

    from streamkit.convert import Converter
    from streamkit.events import encode_event
    from streamkit.io import iter_frame_events, reducer_for

    source = open_input(args.file)
    to = args.to
    converter = Converter(to, source=args.api)
    reducer: Any = None
    live = is_tty(sys.stdout)
    try:
        with warnings.catch_warnings():
            # Integrity findings of the source are not this command's output.
            warnings.simplefilter("ignore")
            for frame, event in iter_frame_events(source.chunks(), args.api, errors="yield"):
                for out in converter.step(event, frame.data):
                    write_bytes(encode_event(out, api=to))
                if reducer is None and converter.source != "auto":
                    reducer = reducer_for(converter.source)
                if reducer is not None:
                    reducer.step(event)
                if live:
                    flush_stdout()
            for out in converter.finish():
                write_bytes(encode_event(out, api=to))
    except StreamError as exc:
        flush_stdout()
        note(describe(exc))
        return EXIT_NOT_EVENT_STREAM if isinstance(exc, NotEventStreamError) else EXIT_STREAM_ERROR
    flush_stdout()
    for lost in converter.lost:
        note(f"not carried to {to}: {lost.what} ({lost.detail}; {lost.count}x)")
    if reducer is None:
        note("the stream has no events to convert")
        return EXIT_NOT_EVENT_STREAM
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = reducer.finish().verdict.status
    if status == "completed":
        return EXIT_OK
    if status == "incomplete":
        return EXIT_INCOMPLETE
    if status in ("failed", "errored"):
        return EXIT_API_ERROR
    return EXIT_TRUNCATED
