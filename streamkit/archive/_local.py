"""Reducing an archive on this machine: in this process, or in a process pool."""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import msgspec

from streamkit.archive._read import (
    DEFAULT_PARTITION_SIZE,
    Task,
    discover,
    plan,
    require_zstandard,
    task_rows,
)
from streamkit.archive._row import ReducerFactory, StreamRow

__all__ = ["cpu_count", "iter_results", "iter_rows", "prepare"]

_ROWS_ENCODER = msgspec.msgpack.Encoder()
_ROWS_DECODER = msgspec.msgpack.Decoder(list[StreamRow])

# The reducer factory of this worker process, set once by ``_init_worker``.
_worker_reducer: ReducerFactory | None = None


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def prepare(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """The files of a run (see ``discover``), checked for what reading them needs:
    ``FileNotFoundError`` for a missing path, ``MissingDependencyError`` for .zst
    files without ``zstandard``."""
    files = discover(paths)
    if any(f.lower().endswith(".zst") for f in files):
        require_zstandard()
    return files


def _dump_factory(reducer: ReducerFactory | None) -> bytes | None:
    """The factory pickled for the workers: by cloudpickle when it is installed
    (it ships with Dask), so lambdas and local functions work too."""
    if reducer is None:
        return None
    try:
        cloudpickle = importlib.import_module("cloudpickle")
    except ImportError:
        try:
            return pickle.dumps(reducer)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise TypeError(
                "reducer= must be picklable for jobs > 1 (a top-level function or "
                "class, or install cloudpickle): " + str(exc)
            ) from None
    blob: bytes = cloudpickle.dumps(reducer)
    return blob


def _init_worker(blob: bytes | None) -> None:
    global _worker_reducer
    _worker_reducer = pickle.loads(blob) if blob is not None else None


def _work(task: Task) -> bytes | list[StreamRow]:
    rows = task_rows(task, _worker_reducer)
    try:
        return _ROWS_ENCODER.encode(rows)
    except (TypeError, OverflowError):  # a value msgpack cannot hold: pickle instead
        return rows


def _context() -> Any:
    # Never fork: the parent may run threads (a Dask client, an event loop), and
    # a forked child would inherit their locks mid-use.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server imports streamkit once; each worker forked from it starts
    # ready instead of importing it again (it takes effect when the server starts).
    context.set_forkserver_preload(["streamkit.archive._read"])
    return context


def iter_results(
    files: list[str],
    *,
    jobs: int = 1,
    reducer: ReducerFactory | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
) -> Iterator[tuple[Task, list[StreamRow]]]:
    """Each task of the run with its rows, in order (the loop behind ``iter_rows``
    and the command line's progress)."""
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    if jobs == 1:
        for task in plan(files, partition_size=partition_size):
            yield task, task_rows(task, reducer)
        return
    tasks = plan(files, partition_size=partition_size, split_compressed=True)
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(_dump_factory(reducer),),
    )
    # Enough tasks in flight to keep every worker busy while the next result is
    # read, few enough that memory does not grow with the archive.
    limit = 2 * jobs + 1
    pending: deque[tuple[Task, Future[bytes | list[StreamRow]]]] = deque()
    try:
        for task in tasks:
            # The parent keeps only what progress needs, not a batch's lines.
            future = pool.submit(_work, task)
            pending.append((Task(parts=task.parts, weight=task.weight, files=task.files), future))
            if len(pending) >= limit:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())
    finally:
        for _, future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _collect(task: Task, future: Future[bytes | list[StreamRow]]) -> tuple[Task, list[StreamRow]]:
    result = future.result()
    rows = _ROWS_DECODER.decode(result) if isinstance(result, bytes) else result
    return task, rows


def iter_rows(
    paths: Iterable[str | os.PathLike[str]],
    *,
    jobs: int = 1,
    reducer: ReducerFactory | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
) -> Iterator[StreamRow]:
    """The rows of every stream under ``paths``, in order: file by file (folders
    searched recursively, sorted), then line by line.

    ``jobs`` > 1 reduces in that many worker processes (started with forkserver
    or spawn), fed tasks of about ``partition_size`` input bytes: groups of
    small files, byte ranges of big JSON-lines files, batches of lines of
    compressed ones; rows come back in order, with at most ``2 * jobs + 1``
    tasks in flight. ``reducer`` is a factory of a reducer for each stream (see
    ``reduce_stream``); with ``jobs`` > 1 it is pickled (by cloudpickle when
    installed, so a lambda works).

    Raises ``FileNotFoundError`` for a missing path and ``MissingDependencyError``
    for .zst files without ``zstandard``, before reading anything; bad streams
    and damaged files are rows, never exceptions.
    """
    files = prepare(paths)
    for _, rows in iter_results(files, jobs=jobs, reducer=reducer, partition_size=partition_size):
        yield from rows
