"""``streamkit replay``: serve recordings as a local OpenAI-compatible endpoint."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys

from streamkit.cli._common import (
    EXIT_ADDRESS_IN_USE,
    EXIT_HINT,
    EXIT_OK,
    EXIT_STREAM_ERROR,
    UsageError,
    error,
    named_stream,
)
from streamkit.cli._messages import describe
from streamkit.errors import StreamError
from streamkit.testing import replay
from streamkit.testing.replay import ReplayApp

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
        help="serve recordings as a local OpenAI- and Anthropic-compatible streaming endpoint",
        description=(
            "Serve recorded streams over HTTP, as POST /v1/responses,\n"
            "POST /v1/chat/completions, POST /v1/completions and (Anthropic Messages\n"
            "recordings) POST /v1/messages, plus\n"
            "GET /v1/responses/{id}?stream=true&starting_after=N to resume, and\n"
            "GET /v1/models, so an SDK's base_url can point at it in tests:\n\n"
            "  streamkit replay recording.sse --port 8000\n"
            "  OpenAI(base_url='http://127.0.0.1:8000/v1', api_key='unused')\n"
            "  Anthropic(base_url='http://127.0.0.1:8000', api_key='unused')\n\n"
            'A request whose "model" (or x-streamkit-recording header) names a\n'
            "recording (its file name without .sse) gets that one; otherwise the\n"
            "recordings of the endpoint's API take turns. Requests with\n"
            '"stream": true get the events; others get the reduced final object.\n'
            "Needs uvicorn: pip install 'streamkit[server]'."
        ),
        epilog=EXIT_HINT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="recordings (.sse files), or @NAME for a built-in demo stream (served as NAME)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        metavar="PORT",
        help="TCP port, 0 for any free one (default: 8000)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", metavar="HOST", help="interface (default: 127.0.0.1)"
    )
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
        help="pause before each chunk (default: 0.01)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of the chunk sizes (default: 0)"
    )
    parser.add_argument(
        "--as",
        dest="serve_as",
        choices=("responses", "chat", "messages"),
        default=None,
        help="serve every recording as a stream of this API, converted "
        "(streamkit.convert), at that API's endpoint",
    )
    parser.set_defaults(run=_replay)


def _replay(args: argparse.Namespace) -> int:
    recordings: list[str | tuple[str, bytes]] = []
    for path in args.files:
        named = named_stream(path)
        if named is not None:
            recordings.append((path[1:], named))
        elif os.path.isfile(path):
            recordings.append(path)
        else:
            raise UsageError(f"{path}: no such file")
    if args.delay < 0:
        raise UsageError("--delay must be >= 0")
    try:
        import uvicorn  # noqa: F401 - the server extra, checked before any work
    except ImportError:
        raise UsageError("replay needs uvicorn: pip install 'streamkit[server]'") from None
    try:
        app = ReplayApp(
            recordings,
            chunk_sizes=args.chunks,
            delay=args.delay,
            seed=args.seed,
            serve_as=args.serve_as,
        )
    except OSError as exc:
        raise UsageError(f"cannot open {exc.filename}: {exc.strerror or exc}") from None
    except StreamError as exc:
        error(describe(exc))
        return EXIT_STREAM_ERROR
    try:
        sock = _listen(args.host, args.port)
    except _AddressInUse as exc:
        error(str(exc))
        return EXIT_ADDRESS_IN_USE
    with sock:
        port = sock.getsockname()[1]
        names = ", ".join(r.name for r in app.catalog)
        print(
            f"streamkit: replaying {names} at http://{args.host}:{port}/v1 (Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        serve(app, sock, args.host)
    return EXIT_OK


def serve(app: ReplayApp, sock: socket.socket, host: str) -> None:
    """Run ``app`` under uvicorn on ``sock`` (bound, see ``_listen``) until
    interrupted."""
    replay._server(app, host, sock.getsockname()[1], "warning").run(sockets=[sock])


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, not {port}")
    return port


class _AddressInUse(Exception):
    """Another socket already listens on the address."""


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, for the server to listen on.

    Binding here rather than in uvicorn turns a taken port into one line and its
    own exit code (uvicorn would log it and exit 1). Raises ``_AddressInUse``, or
    ``UsageError`` for an address that cannot be used (unknown host, a
    privileged port).
    """
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {where}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    try:
        # As uvicorn does: a port left in TIME_WAIT by a previous run can be reused
        # at once; one another socket listens on still cannot.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise _AddressInUse(
                f"cannot listen on {where}: address already in use "
                "(another process listens there; choose another --port, or --port 0)"
            ) from None
        raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sock
