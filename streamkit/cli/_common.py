"""What every command shares: exit codes, input, output, colour, progress and pacing."""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Callable, Generator
from typing import IO, Any, Final

from streamkit.errors import NotEventStreamError, StreamError
from streamkit.testing import DEMO_STREAMS, demo_stream

__all__ = [
    "EXIT_ADDRESS_IN_USE",
    "EXIT_API_ERROR",
    "EXIT_DIVERGED",
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_EVENT_STREAM",
    "EXIT_OK",
    "EXIT_STREAM_ERROR",
    "EXIT_TRUNCATED",
    "EXIT_USAGE",
    "EXIT_CODES",
    "EXIT_EPILOG",
    "EXIT_HINT",
    "PROGRESS_THRESHOLD",
    "Input",
    "Pacer",
    "Progress",
    "Style",
    "UsageError",
    "add_api_option",
    "error",
    "error_exit",
    "flush_stdout",
    "is_tty",
    "named_stream",
    "note",
    "open_input",
    "status_exit",
    "write_bytes",
]

EXIT_OK: Final = 0
EXIT_STREAM_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_INCOMPLETE: Final = 3
EXIT_API_ERROR: Final = 4
EXIT_TRUNCATED: Final = 5
EXIT_DIVERGED: Final = 6
EXIT_NOT_EVENT_STREAM: Final = 7
EXIT_ADDRESS_IN_USE: Final = 8
EXIT_INTERRUPTED: Final = 130

#: Exit code -> meaning, as documented in ``--help``.
EXIT_CODES: Final = {
    EXIT_OK: "success (the stream completed)",
    EXIT_STREAM_ERROR: "stream error: bytes or payloads that cannot be decoded",
    EXIT_USAGE: "usage error: bad arguments, file not found or unreadable, "
    "missing optional dependency",
    EXIT_INCOMPLETE: "incomplete: the server stopped early (max_output_tokens, length, ...)",
    EXIT_API_ERROR: "API error: the stream reported an error (response.failed, error event)",
    EXIT_TRUNCATED: "truncated: the bytes ended before the stream's terminal event "
    "(or before [DONE])",
    EXIT_DIVERGED: "divergence (reduce --verify): the fold differs from the server's values",
    EXIT_NOT_EVENT_STREAM: "not an event stream: no server-sent events in the input "
    "(an HTML or JSON body, empty input)",
    EXIT_ADDRESS_IN_USE: "address in use (replay): another process listens on --host/--port",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

#: The exit-code table, the epilog of ``streamkit --help`` (and of no other help).
EXIT_EPILOG: Final = "exit codes:\n" + "\n".join(
    f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES.items()
)
#: The epilog of every command's help: where the table is.
EXIT_HINT: Final = "exit codes: see streamkit --help"

#: Inputs larger than this show a progress line on stderr (when it is a terminal).
PROGRESS_THRESHOLD: Final = 8 * 1024 * 1024

_CHUNK: Final = 64 * 1024


def error_exit(exc: StreamError) -> int:
    """The exit code of a stream that could not be read to its end: 7 when it is
    not an event stream at all, else 1."""
    return EXIT_NOT_EVENT_STREAM if isinstance(exc, NotEventStreamError) else EXIT_STREAM_ERROR


def status_exit(status: str) -> int:
    """The exit code of a verdict's status: 0 completed, 3 incomplete, 4 failed or
    errored, else 5 (truncated; unterminated, whose bytes ended before the end
    marker; in_progress, which a finished fold never has)."""
    if status == "completed":
        return EXIT_OK
    if status == "incomplete":
        return EXIT_INCOMPLETE
    if status in ("failed", "errored"):
        return EXIT_API_ERROR
    return EXIT_TRUNCATED


class UsageError(Exception):
    """A problem with the command line, its files or a missing optional dependency
    (exit code 2)."""


def add_api_option(parser: argparse.ArgumentParser) -> None:
    """The ``--api`` option shared by the commands that decode events."""
    parser.add_argument(
        "--api",
        choices=("auto", "responses", "chat", "completions", "messages"),
        default="auto",
        help="the stream's API (default: auto, detected from the first payload)",
    )


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #


def is_tty(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


class Style:
    """ANSI colour for one stream: only on a terminal, and never when NO_COLOR is set."""

    __slots__ = ("enabled",)

    def __init__(self, stream: IO[Any]) -> None:
        self.enabled = is_tty(stream) and "NO_COLOR" not in os.environ

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        """Bold text."""
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        """Faint text."""
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        """Red text (errors)."""
        return self._wrap("31", text)

    def green(self, text: str) -> str:
        """Green text (success)."""
        return self._wrap("32", text)

    def yellow(self, text: str) -> str:
        """Yellow text (warnings)."""
        return self._wrap("33", text)

    def status(self, status: str) -> str:
        """A verdict status, coloured by how good it is."""
        if status == "completed":
            return self.green(status)
        if status in ("failed", "errored", "error"):
            return self.red(status)
        return self.yellow(status)


def error(message: str) -> None:
    """Print ``streamkit: <message>`` on stderr."""
    style = Style(sys.stderr)
    print(f"{style.red('streamkit:')} {message}", file=sys.stderr, flush=True)


def note(message: str) -> None:
    """Print ``streamkit: <message>`` on stderr, for information that is not a failure."""
    style = Style(sys.stderr)
    print(f"{style.yellow('streamkit:')} {message}", file=sys.stderr, flush=True)


def write_bytes(data: bytes) -> None:
    """Write encoded output (UTF-8 JSON) to stdout, bypassing the text layer when it can."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        out.write(data.decode("utf-8"))
        return
    buffer.write(data)


def flush_stdout() -> None:
    """Flush both layers of stdout (text and binary)."""
    out = sys.stdout
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        buffer.flush()


# --------------------------------------------------------------------------- #
# Input
# --------------------------------------------------------------------------- #


class Progress:
    """A progress line on stderr for long inputs; silent unless stderr is a terminal.

    The line appears once more than ``PROGRESS_THRESHOLD`` bytes are expected (a file's
    size) or have been read (a pipe), is redrawn at most ten times a second, and is
    erased when the input ends, so it never mixes with what the command prints after.
    """

    __slots__ = ("_last", "_name", "_shown", "enabled", "read", "total")

    def __init__(self, name: str, total: int | None, *, enabled: bool) -> None:
        self._name = name
        self.total = total
        self.read = 0
        self.enabled = enabled and is_tty(sys.stderr)
        self._last = 0.0
        self._shown = False

    def advance(self, n: int) -> None:
        """Count ``n`` more bytes read."""
        self.read += n
        if not self.enabled:
            return
        big = self.read > PROGRESS_THRESHOLD or (self.total or 0) > PROGRESS_THRESHOLD
        now = time.monotonic()
        if not big or now - self._last < 0.1:
            return
        self._last = now
        mib = self.read / (1024 * 1024)
        if self.total:
            text = f"{mib:.1f} / {self.total / (1024 * 1024):.1f} MiB"
            text += f" ({100 * self.read // self.total}%)"
        else:
            text = f"{mib:.1f} MiB"
        sys.stderr.write(f"\rstreamkit: reading {self._name}: {text}\x1b[K")
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the progress line, if one was drawn."""
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False


class Input:
    """One input stream: a file opened for reading, or standard input (``-``)."""

    __slots__ = ("_fh", "_owned", "name", "size")

    def __init__(self, name: str, fh: IO[bytes], size: int | None, owned: bool) -> None:
        self.name = name
        self.size = size
        self._fh = fh
        self._owned = owned

    def chunks(
        self, *, progress: bool = True, before_read: Callable[[], None] | None = None
    ) -> Generator[bytes, None, None]:
        """Yield the input's bytes as they become available (``read1``: a pipe's
        bytes are passed on as soon as they arrive), then close the input.

        ``before_read`` runs before each read that may block, so output produced
        from the bytes so far reaches a pipe before the command waits for more.
        """
        fh = self._fh
        read1 = getattr(fh, "read1", None)
        read = read1 if callable(read1) else fh.read
        meter = Progress(self.name, self.size, enabled=progress)
        try:
            while True:
                if before_read is not None:
                    before_read()
                chunk = read(_CHUNK)
                if not chunk:
                    return
                if not isinstance(chunk, bytes):
                    chunk = bytes(chunk)
                meter.advance(len(chunk))
                yield chunk
        finally:
            meter.close()
            self.close()

    def close(self) -> None:
        """Close the file (standard input is left open)."""
        if self._owned:
            self._fh.close()


def named_stream(arg: str) -> bytes | None:
    """The bytes of the built-in demo stream ``arg`` names as ``@NAME``, or None
    when ``arg`` does not start with ``@`` (a path; ``./@file`` reads a file whose
    name starts with ``@``).

    Raises ``UsageError`` listing the names for an unknown ``@NAME``.
    """
    if not arg.startswith("@"):
        return None
    name = arg[1:]
    if name not in DEMO_STREAMS:
        known = ", ".join(f"@{n}" for n in DEMO_STREAMS)
        raise UsageError(f"no demo stream named {arg}; the demo streams are: {known}")
    return demo_stream(name)


def open_input(path: str) -> Input:
    """Open a command's input: a path, ``@NAME`` for a built-in demo stream
    (``streamkit.testing.DEMO_STREAMS``), or ``-`` for standard input.

    Raises ``UsageError`` when the file cannot be opened or the name is
    unknown, before anything is printed.
    """
    named = named_stream(path)
    if named is not None:
        return Input(path, io.BytesIO(named), len(named), owned=True)
    if path == "-":
        stdin: Any = sys.stdin
        # sys.stdin is a text stream over a binary one; tests may install either.
        fh = getattr(stdin, "buffer", stdin)
        return Input("<stdin>", fh, None, owned=False)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by Input.chunks / Input.close
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot open {path}: {reason}") from None
    try:
        size: int | None = os.fstat(fh.fileno()).st_size
    except OSError:  # pragma: no cover - fstat on an open file
        size = None
    return Input(path, fh, size, owned=True)


# --------------------------------------------------------------------------- #
# Pacing
# --------------------------------------------------------------------------- #


class Pacer:
    """Replays events at a fixed rate (events per second).

    Recordings carry no timestamps, so a replay is paced by a rate. Each event is
    due at ``start + n / rate``; sleeping until that deadline (rather than for a
    fixed interval) keeps the pace from drifting when printing takes time.
    """

    __slots__ = ("_count", "_interval", "_start")

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._start: float | None = None
        self._count = 0

    def wait(self) -> None:
        """Sleep until the next event is due."""
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._count * self._interval
        self._count += 1
        if due > now:
            time.sleep(due - now)
