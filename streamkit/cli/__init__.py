"""The ``streamkit`` command line.

Commands (``streamkit COMMAND --help`` for each; FILE may be ``-`` for standard input,
or ``@NAME`` for a demo stream streamkit generates, such as ``@responses-text``):

* ``events FILE``: the typed events, one JSON object per line (``--types``, ``--api``);
* ``reduce FILE``: the final object as JSON (``--verify``: compare the fold with the
  server's final values);
* ``text FILE``: the output text as it streams (``--live`` paced at ``--rate`` events/s);
* ``stats FILE...``: API, events by type, bytes, verdict, usage, integrity (``--json``);
* ``frames FILE``: the SSE frames, one JSON object per line;
* ``replay FILE...``: the recordings served as a local OpenAI-compatible endpoint
  (needs uvicorn: ``pip install 'streamkit[server]'``);
* ``demo``: a generated stream through the whole pipeline, offline (``--stream NAME``).

Errors go to stderr as ``streamkit: <message>``. Exit codes:

===  =========================  ================================================================
  0  ``EXIT_OK``                success: the stream completed
  1  ``EXIT_STREAM_ERROR``      bytes or payloads that cannot be decoded
  2  ``EXIT_USAGE``             bad arguments, file not found or unreadable, missing extra
  3  ``EXIT_INCOMPLETE``        the server stopped early (``max_output_tokens``, ``length``)
  4  ``EXIT_API_ERROR``         the stream reported an error (``response.failed``, ``error``)
  5  ``EXIT_TRUNCATED``         the bytes ended before the stream's terminal event or ``[DONE]``
  6  ``EXIT_DIVERGED``          ``reduce --verify``: the fold differs from the server's values
  7  ``EXIT_NOT_EVENT_STREAM``  no server-sent events in the input (an HTML or JSON body)
  8  ``EXIT_ADDRESS_IN_USE``    ``replay``: another process listens on ``--host``/``--port``
130  ``EXIT_INTERRUPTED``       interrupted (Ctrl-C)
===  =========================  ================================================================

``reduce`` and ``text`` exit with the code of the stream's verdict (with ``--verify``, a
divergence gives 6 whatever the verdict); ``events`` exits 4 when the stream carried an
error event; ``frames`` exits 5 when the bytes end inside an event; ``stats`` exits 0
when every stream was read, whatever the verdicts. ``events``, ``reduce``, ``text`` and
``stats`` exit 7 for input that is not an event stream (``reduce`` then prints no object).
``replay`` exits 2 when uvicorn is missing and 8 when its address is in use. A name
``--types`` does not know and a ``--choice`` the stream does not have are usage errors
(2), not empty output. A closed pipe (``| head``) ends a command quietly.

How it is built: a command is one function that registers it on the subparsers:
it adds its parser and sets ``run`` (``Namespace -> exit code``). ``COMMANDS``
lists them in the order ``--help`` shows; adding a command means writing such a
function and listing it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from streamkit import __version__
from streamkit.cli._archive import add_archive
from streamkit.cli._commands import add_events, add_frames, add_reduce, add_stats, add_text
from streamkit.cli._common import (
    EXIT_ADDRESS_IN_USE,
    EXIT_API_ERROR,
    EXIT_CODES,
    EXIT_DIVERGED,
    EXIT_EPILOG,
    EXIT_HINT,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_NOT_EVENT_STREAM,
    EXIT_OK,
    EXIT_STREAM_ERROR,
    EXIT_TRUNCATED,
    EXIT_USAGE,
    UsageError,
    error,
)
from streamkit.cli._convert import add_convert
from streamkit.cli._demo import add_demo
from streamkit.cli._messages import describe
from streamkit.cli._replay import add_replay
from streamkit.errors import StreamError

__all__ = [
    "COMMANDS",
    "EXIT_ADDRESS_IN_USE",
    "EXIT_API_ERROR",
    "EXIT_CODES",
    "EXIT_DIVERGED",
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_EVENT_STREAM",
    "EXIT_OK",
    "EXIT_STREAM_ERROR",
    "EXIT_TRUNCATED",
    "EXIT_USAGE",
    "Register",
    "build_parser",
    "main",
]

#: A command: registers its parser on the subparsers of ``streamkit``.
Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: The commands, in the order ``streamkit --help`` lists them.
COMMANDS: list[Register] = [
    add_events,
    add_reduce,
    add_text,
    add_stats,
    add_archive,
    add_convert,
    add_frames,
    add_replay,
    add_demo,
]


def build_parser(commands: Sequence[Register] = COMMANDS) -> argparse.ArgumentParser:
    """The ``streamkit`` argument parser, with one subcommand per registered command."""
    parser = argparse.ArgumentParser(
        prog="streamkit",
        description="Turn recorded LLM streaming responses (Server-Sent Events of the\n"
        "OpenAI Responses API, Chat Completions and legacy Completions) into typed\n"
        "events, final objects, text and statistics. FILE may be - for standard input,\n"
        "or @NAME for a demo stream streamkit generates: @responses-text, @chat-tools, ...\n"
        "(python -m streamkit.testing lists them).",
        epilog=EXIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"streamkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in commands:
        register(sub)
    # The exit-code table is shown once, by ``streamkit --help``; a command's help
    # points there instead of repeating it.
    for command in sub.choices.values():
        if command.epilog in (None, EXIT_EPILOG):
            command.epilog = EXIT_HINT
    return parser


def _quiet_broken_pipe() -> None:
    # The reader went away (`| head`): point stdout at /dev/null so the flush at
    # interpreter exit does not raise (and print) BrokenPipeError again.
    # No real file descriptor (captured output): nothing to redirect.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``streamkit`` command line; return the exit code (see ``EXIT_CODES``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        code: int = args.run(args)
    except UsageError as exc:
        error(str(exc))
        return EXIT_USAGE
    except StreamError as exc:  # a command that lets one through: a line, not a traceback
        error(describe(exc))
        return EXIT_STREAM_ERROR
    except BrokenPipeError:
        _quiet_broken_pipe()
        return EXIT_OK
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    raise SystemExit(main())
