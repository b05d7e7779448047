"""The ``streamkit`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ._errors import StreamError
from ._sse import SSEFrame
from .adapters import iter_frames
from .data import recording

__all__ = ["main"]

EXIT_OK = 0
EXIT_STREAM_ERROR = 1
EXIT_USAGE = 2


def _frame_json(index: int, frame: SSEFrame) -> str:
    record: dict[str, object] = {"index": index, "event": frame.event, "data": frame.text}
    if frame.id:
        record["id"] = frame.id
    if frame.retry is not None:
        record["retry"] = frame.retry
    return json.dumps(record, ensure_ascii=False)


def _print_frames(source: object) -> int:
    out = sys.stdout
    try:
        for i, frame in enumerate(iter_frames(source)):  # type: ignore[arg-type]
            out.write(_frame_json(i, frame) + "\n")
    except StreamError as exc:
        print(f"streamkit: {exc}", file=sys.stderr)
        return EXIT_STREAM_ERROR
    return EXIT_OK


def _cmd_frames(args: argparse.Namespace) -> int:
    return _print_frames(args.file)


def _cmd_demo(args: argparse.Namespace) -> int:
    return _print_frames(recording("responses-text"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamkit", description="Parse LLM streaming responses (Server-Sent Events)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    frames = sub.add_parser(
        "frames", help="print the SSE frames of a recording, one JSON object per line"
    )
    frames.add_argument("file", help="an .sse file, or - for standard input")
    frames.set_defaults(func=_cmd_frames)
    demo = sub.add_parser("demo", help="print the frames of a bundled real recording")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``streamkit`` console script."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        print(f"streamkit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return code


if __name__ == "__main__":
    raise SystemExit(main())
