"""``streamkit archive``: reduce archives of recorded streams to a table of rows."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from streamkit.cli._common import EXIT_HINT, EXIT_OK, UsageError, is_tty

__all__ = ["add_archive"]


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"need at least 1 process, got {value}")
    return value


def add_archive(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``streamkit archive``."""
    parser = sub.add_parser(
        "archive",
        help="reduce archives of recorded streams to one row per stream (JSON lines, Parquet)",
        description=(
            "Reduce every recorded stream under PATH... to one row: API, model,\n"
            "verdict, finish reason, token usage, events, bytes, text length, tool\n"
            "calls, errors and the record's metadata. PATH is a file or a folder\n"
            "(searched recursively for .sse, .sse.gz, .sse.zst, .jsonl, .jsonl.gz and\n"
            '.jsonl.zst). A .jsonl file holds one stream per line: {"id": ..., "body":\n'
            '"<SSE text>"} or {"id": ..., "body_b64": "<base64>"}, other keys kept as\n'
            "metadata. Bad streams and damaged files are rows with their error, never\n"
            "a failed run: the command exits 0 once every row is written.\n\n"
            "  streamkit archive recordings/ --out rows.parquet\n"
            "  streamkit archive streams.jsonl.zst --jobs 8 --out - | head\n\n"
            "Parquet and .zst need pip install 'streamkit[archive]';\n"
            "--dask needs pip install 'streamkit[dask]'."
        ),
        epilog=EXIT_HINT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="archive files or folders")
    parser.add_argument(
        "--out",
        "-o",
        default="-",
        metavar="FILE",
        help="where the rows go: FILE.parquet, FILE.jsonl, or - for JSON lines on "
        "standard output (default: -)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        metavar="N",
        help="worker processes (default: the number of CPUs)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on the Dask cluster whose scheduler is at ADDRESS (tcp://host:8786) "
        "instead of local processes; the workers must see the same files",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr (default: when stderr is a terminal)",
    )
    parser.set_defaults(run=_archive)


def _format_of(out: str) -> str:
    if out == "-":
        return "jsonl"
    lower = out.lower()
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise UsageError(f"--out {out}: the name must end in .parquet or .jsonl (or be -)")


class _Meter:
    """Counts a run, draws the progress bar (at most ten times a second, erased
    at the end) and writes the summary line."""

    def __init__(self, files: int, total: int, *, enabled: bool) -> None:
        self.files = files
        self.total = total
        self.enabled = enabled
        self.start = time.monotonic()
        self.done_files = 0
        self.done_bytes = 0
        self.rows = 0
        self.verdicts: Counter[str] = Counter()
        self.errors = 0
        self._drawn = 0.0
        self._shown = False

    def count(self, weight: int, files: int, rows: list[Any]) -> None:
        self.done_bytes += weight
        self.done_files += files
        self.rows += len(rows)
        for row in rows:
            self.verdicts[row.verdict or "unreadable"] += 1
            if row.error_type is not None and row.verdict not in ("failed", "errored"):
                self.errors += 1
        now = time.monotonic()
        if self.enabled and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        share = min(self.done_bytes / self.total, 1.0) if self.total else 1.0
        width = 24
        filled = int(share * width)
        bar = "#" * filled + "-" * (width - filled)
        rate = self.rows / elapsed
        speed = self.done_bytes / elapsed
        eta = (self.total - self.done_bytes) / speed if speed > 0 else None
        text = (
            f"streamkit: archive [{bar}] {self.done_files:,}/{self.files:,} files  "
            f"{self.done_bytes / 1e6:,.1f}/{self.total / 1e6:,.1f} MB  "
            f"{rate:,.0f} streams/s  ETA {_clock(eta)}"
        )
        sys.stderr.write(f"\r{text}\x1b[K")
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False

    def summary(self, out: str) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        order = ["completed", "incomplete", "failed", "errored", "truncated", "unterminated"]
        known = [(k, self.verdicts[k]) for k in order if self.verdicts[k]]
        known += [(k, n) for k, n in sorted(self.verdicts.items()) if k not in order]
        verdicts = ", ".join(f"{n:,} {k}" for k, n in known) or "none"
        where = "stdout" if out == "-" else out
        return (
            f"streamkit: archive: {self.rows:,} streams from {self.done_files:,} files "
            f"({verdicts}), {self.errors:,} errors, {self.done_bytes / 1e6:,.1f} MB in "
            f"{elapsed:.1f} s ({self.done_bytes / 1e6 / elapsed:,.1f} MB/s) -> {where}"
        )


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _dask_results(address: str, files: list[str]) -> Iterator[tuple[Any, list[Any]]]:
    """The tasks and their rows, computed on the cluster, in order, with a
    bounded number in flight."""
    from streamkit.archive import plan_tasks, task_rows

    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise UsageError("--dask needs distributed: pip install 'streamkit[dask]'") from None
    tasks = plan_tasks(files)
    try:
        client = distributed.Client(address, timeout="10s")
    except OSError as exc:
        raise UsageError(f"--dask {address}: cannot reach the scheduler: {exc}") from None
    with client:
        threads = sum(client.nthreads().values()) or 1
        limit = 2 * threads + 1
        pending: list[tuple[Any, Any]] = []
        index = 0
        try:
            while index < len(tasks) or pending:
                while index < len(tasks) and len(pending) < limit:
                    task = tasks[index]
                    pending.append((task, client.submit(task_rows, task, pure=False)))
                    index += 1
                task, future = pending.pop(0)
                yield task, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def _archive(args: argparse.Namespace) -> int:
    from streamkit.archive import MissingDependencyError, cpu_count, iter_results
    from streamkit.archive._local import prepare
    from streamkit.archive._write import require_pyarrow, write_jsonl, write_parquet

    fmt = _format_of(args.out)
    try:
        files = prepare(args.paths)
        if fmt == "parquet":
            require_pyarrow()
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    except MissingDependencyError as exc:
        raise UsageError(str(exc)) from None
    if args.out != "-":
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            raise UsageError(f"--out {args.out}: no such folder {folder}")
    total = 0
    for name in files:
        with contextlib.suppress(OSError):
            total += os.path.getsize(name)
    progress = is_tty(sys.stderr) if args.progress is None else args.progress
    meter = _Meter(len(files), total, enabled=progress)

    if args.dask:
        results: Iterator[tuple[Any, list[Any]]] = _dask_results(args.dask, files)
    else:
        jobs = args.jobs if args.jobs is not None else cpu_count()
        results = iter_results(files, jobs=jobs)

    def rows() -> Iterator[Any]:
        for task, batch in results:
            meter.count(task.weight, task.files, batch)
            yield from batch

    writer: Callable[[Any, Any], int] = write_parquet if fmt == "parquet" else write_jsonl
    try:
        if args.out == "-":
            out = getattr(sys.stdout, "buffer", sys.stdout)
            write_jsonl(rows(), out)
            out.flush()
        else:
            _write_atomically(args.out, lambda path: writer(rows(), path))
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
        meter.close()
    print(meter.summary(args.out), file=sys.stderr, flush=True)
    return EXIT_OK


def _write_atomically(path: str, write: Callable[[str], int]) -> None:
    """Write to a temporary file beside ``path``, then rename: an interrupted run
    leaves no half-written table under the real name."""
    temporary = f"{path}.{os.getpid()}.partial"
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
