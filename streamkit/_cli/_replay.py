"""``streamkit replay``: serve recordings as a local OpenAI-compatible endpoint."""

from __future__ import annotations

import argparse
import os
import sys

from ..replay import ReplayApp, serve
from ._common import EXIT_EPILOG, EXIT_OK, UsageError

__all__ = ["add_replay"]


def _chunk_range(text: str) -> tuple[int, int]:
    lo, sep, hi = text.partition("-")
    try:
        low, high = int(lo), int(hi if sep else lo)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN-MAX bytes, got {text!r}") from None
    if not 1 <= low <= high:
        raise argparse.ArgumentTypeError(f"need 1 <= MIN <= MAX, got {text!r}")
    return low, high


def add_replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit replay``."""
    parser = sub.add_parser(
        "replay",
        help="serve recordings as a local OpenAI-compatible streaming endpoint",
        description=(
            "Serve recorded streams over HTTP, as POST /v1/responses,\n"
            "POST /v1/chat/completions and POST /v1/completions (plus\n"
            "GET /v1/responses/{id}?stream=true&starting_after=N to resume, and\n"
            "GET /v1/models), so an SDK's base_url can point at it in tests:\n\n"
            "  streamkit replay recording.sse --port 8000\n"
            "  OpenAI(base_url='http://127.0.0.1:8000/v1', api_key='unused')\n\n"
            'A request whose "model" (or x-streamkit-recording header) names a\n'
            "recording (its file name without .sse) gets that one; otherwise the\n"
            "recordings of the endpoint's API take turns. Requests with\n"
            '"stream": true get the events; others get the reduced final object.\n'
            "Needs uvicorn: pip install 'streamkit[server]'."
        ),
        epilog=EXIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="recordings (.sse files)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument(
        "--chunks",
        type=_chunk_range,
        metavar="MIN-MAX",
        help="split bodies into random chunks of MIN-MAX bytes (default: one event per chunk)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=0.01,
        metavar="SECONDS",
        help="pause before each chunk (default 0.01)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the chunk sizes")
    parser.set_defaults(run=_replay)


def _replay(args: argparse.Namespace) -> int:
    for path in args.files:
        if not os.path.isfile(path):
            raise UsageError(f"{path}: no such file")
    if args.delay < 0:
        raise UsageError("--delay must be >= 0")
    app = ReplayApp(args.files, chunk_sizes=args.chunks, delay=args.delay, seed=args.seed)
    names = ", ".join(r.name for r in app.catalog)
    print(
        f"streamkit: replaying {names} at http://{args.host}:{args.port}/v1 (Ctrl-C stops)",
        file=sys.stderr,
    )
    serve(app, args.host, args.port, log_level="warning")
    return EXIT_OK
