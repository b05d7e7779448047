"""``python -m benchmarks.archive``: throughput of ``streamkit.archive`` on one
machine (1, 2, ... processes) and on a Dask ``LocalCluster``.

A JSON-lines archive of ``--streams`` generated streams (Responses and Chat, with
text, tool calls and reasoning, from ``streamkit.testing``) is written to a
temporary folder, then reduced to rows by ``iter_rows`` with ``jobs=1`` (in
this process), ``jobs=N`` (a process pool), and by ``to_bag(...).compute()`` on
a cluster of N single-threaded worker processes. Each configuration is timed
``--repeat`` times in wall-clock time (the best run is reported: parallel work
is what is measured); the cluster's start-up is not counted. Prints streams/s,
MB/s, the speed-up over one process and the scaling efficiency (speed-up / N).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamkit.archive import cpu_count, iter_rows, to_bag
from streamkit.testing import chat_stream, responses_stream

#: Distinct streams generated; the archive cycles through them (generating is
#: slower than reducing, and the reduction does not depend on repetition).
DISTINCT = 240


def _bodies() -> list[bytes]:
    bodies = []
    for seed in range(DISTINCT):
        kind = seed % 4
        if kind == 0:
            bodies.append(responses_stream(seed=seed, text_words=60))
        elif kind == 1:
            bodies.append(responses_stream(seed=seed, text_words=20, tool_calls=2, reasoning=True))
        elif kind == 2:
            bodies.append(chat_stream(seed=seed, text_words=60))
        else:
            bodies.append(chat_stream(seed=seed, text_words=10, tool_calls=2))
    return bodies


def write_archive(path: Path, streams: int) -> int:
    """Write a JSON-lines archive of ``streams`` records; return its size."""
    bodies = [b.decode("utf-8") for b in _bodies()]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(streams):
            record = {"id": f"req_{i:07d}", "body": bodies[i % len(bodies)], "tenant": i % 7}
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path.stat().st_size


def _best(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    best = float("inf")
    rows = 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - start)
    return best, rows


def _burn(n: int) -> float:
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - start


def capacity(jobs: int, n: int = 3_000_000) -> float:
    """How many cores this machine gives right now: the speed-up of ``jobs``
    copies of a pure-Python loop run at once over one run alone (other work on
    the machine lowers it; it is the ceiling for any pool's speed-up)."""
    from concurrent.futures import ProcessPoolExecutor

    alone = min(_burn(n) for _ in range(2))
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_burn, [n // 10] * jobs))  # start the workers first
        start = time.perf_counter()
        list(pool.map(_burn, [n] * jobs))
        together = time.perf_counter() - start
    return jobs * alone / together


def _local(path: Path, jobs: int) -> Callable[[], int]:
    def run() -> int:
        return sum(1 for _ in iter_rows([path], jobs=jobs))

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.archive", description=__doc__)
    parser.add_argument("--streams", type=int, default=12_000, help="streams in the archive")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration (best)")
    parser.add_argument(
        "--jobs",
        type=int,
        action="append",
        help="process counts to measure (repeatable; default: 1, 2, ... up to the CPUs)",
    )
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    cpus = cpu_count()
    counts = sorted(set(args.jobs or [1, *range(2, max(cpus, 2) + 1)]))
    if 1 not in counts:
        counts.insert(0, 1)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="streamkit-archive-bench-") as folder:
        path = Path(folder) / "streams.jsonl"
        size = write_archive(path, args.streams)
        print(
            f"archive: {args.streams:,} streams, {size / 1e6:,.1f} MB (JSON lines); "
            f"{cpus} CPUs; best of {args.repeat}",
            file=sys.stderr,
        )

        def record(name: str, jobs: int, seconds: float, rows: int) -> None:
            if rows != args.streams:
                raise SystemExit(f"{name}: {rows} rows for {args.streams} streams")
            base = results[0]["seconds"] if results else seconds
            speedup = base / seconds
            entry = {
                "name": name,
                "jobs": jobs,
                "seconds": seconds,
                "streams_per_s": rows / seconds,
                "mb_per_s": size / 1e6 / seconds,
                "speedup": speedup,
                "efficiency": speedup / jobs,
            }
            results.append(entry)
            print(
                f"{name:<22} {rows / seconds:>9,.0f} streams/s {size / 1e6 / seconds:>8,.1f} MB/s"
                f"  x{speedup:.2f}  efficiency {speedup / jobs:.0%}"
            )

        for jobs in counts[1:]:
            print(
                f"(machine capacity now: {capacity(jobs):.2f} cores usable by {jobs} "
                "processes: the ceiling of their speed-up)",
                file=sys.stderr,
            )
        for jobs in counts:
            name = "in-process" if jobs == 1 else f"process pool jobs={jobs}"
            seconds, rows = _best(_local(path, jobs), args.repeat)
            record(name, jobs, seconds, rows)

        if not args.no_dask:
            from distributed import Client, LocalCluster

            workers = max(counts)
            start = time.perf_counter()
            with (
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                ) as cluster,
                Client(cluster),
            ):
                print(
                    f"(dask LocalCluster of {workers} processes started in "
                    f"{time.perf_counter() - start:.1f} s, not counted)",
                    file=sys.stderr,
                )

                def dask_run() -> int:
                    return len(to_bag([path]).compute())

                seconds, rows = _best(dask_run, args.repeat)
                record(f"dask workers={workers}", workers, seconds, rows)
            if workers > 1:
                pool = next(r for r in results if r["name"] == f"process pool jobs={workers}")
                ratio = results[-1]["seconds"] / pool["seconds"]
                print(f"dask time / process pool time: {ratio:.2f}")

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
